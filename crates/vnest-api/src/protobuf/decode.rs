//! Message bytes → JSON, driven by the schema.
//!
//! Decoding follows gogo-protobuf's merge semantics: a repeated occurrence of a
//! scalar field overwrites it, of a message field merges into it, of a list field
//! appends, of a map entry replaces that key; unknown fields are skipped.
//! Each message is cleaned (see [`super::omit`]) once its bytes are consumed.

use base64::Engine as _;
use serde_json::{Map, Number, Value};

use super::omit;
use super::schema::{Field, Kind, Message, Schema, Special};
use super::wire::{Reader, WireError, WireType};

/// How deep messages may nest (counting every embedded message, map entry and
/// embedded object). Real objects stay far below; a Deployment's container
/// fields sit at depth 6.
pub const MAX_DEPTH: usize = 100;

/// The prefix of a Kubernetes protobuf payload.
pub const MAGIC: &[u8; 4] = b"k8s\0";

type Obj = Map<String, Value>;

/// A decoder over one schema.
pub struct Decoder<'s> {
    pub schema: &'s Schema,
}

fn msg(schema: &Schema, index: usize) -> Result<&Message, WireError> {
    schema
        .message(index)
        .ok_or_else(|| WireError::Invalid(format!("protobuf schema: no message #{index}")))
}

fn sub_message(field: &Field) -> Result<usize, WireError> {
    field.message.ok_or_else(|| {
        WireError::Invalid(format!("protobuf schema: field {} has no type", field.json))
    })
}

fn check_depth(depth: usize) -> Result<(), WireError> {
    if depth > MAX_DEPTH {
        Err(WireError::TooDeep(MAX_DEPTH))
    } else {
        Ok(())
    }
}

fn check_wire(wire: WireType, want: WireType, field: &str) -> Result<(), WireError> {
    if wire == want {
        Ok(())
    } else {
        Err(WireError::WrongWireType {
            field: field.to_string(),
            wire_type: wire.code(),
        })
    }
}

/// The wire type a non-packed scalar of `kind` uses.
fn scalar_wire_type(kind: Kind) -> WireType {
    match kind {
        Kind::String | Kind::Bytes | Kind::Message | Kind::Map => WireType::Len,
        Kind::Fixed32 | Kind::Sfixed32 | Kind::Float => WireType::Fixed32,
        Kind::Fixed64 | Kind::Sfixed64 | Kind::Double => WireType::Fixed64,
        _ => WireType::Varint,
    }
}

fn float(v: f64) -> Result<Value, WireError> {
    Number::from_f64(v)
        .map(Value::Number)
        .ok_or_else(|| WireError::Invalid(format!("json: unsupported value: {v}")))
}

/// Reads one scalar (of a kind that is not a message or map) as JSON.
fn read_scalar(r: &mut Reader<'_>, kind: Kind) -> Result<Value, WireError> {
    Ok(match kind {
        Kind::String => Value::String(String::from_utf8_lossy(r.read_bytes()?).into_owned()),
        Kind::Bytes => {
            Value::String(base64::engine::general_purpose::STANDARD.encode(r.read_bytes()?))
        }
        Kind::Bool => Value::Bool(r.read_varint()? != 0),
        // int32 and enums are sign-extended varints; Go keeps the low 32 bits
        Kind::Int32 | Kind::Enum => Value::from(r.read_varint()? as i32),
        Kind::Int64 => Value::from(r.read_varint()? as i64),
        Kind::Uint32 => Value::from(r.read_varint()? as u32),
        Kind::Uint64 => Value::from(r.read_varint()?),
        Kind::Sint32 => {
            let v = r.read_varint()? as u32;
            Value::from(((v >> 1) as i32) ^ -((v & 1) as i32))
        }
        Kind::Sint64 => {
            let v = r.read_varint()?;
            Value::from(((v >> 1) as i64) ^ -((v & 1) as i64))
        }
        Kind::Fixed32 => Value::from(r.read_fixed32()?),
        Kind::Sfixed32 => Value::from(r.read_fixed32()? as i32),
        Kind::Float => float(f64::from(f32::from_bits(r.read_fixed32()?)))?,
        Kind::Fixed64 => Value::from(r.read_fixed64()?),
        Kind::Sfixed64 => Value::from(r.read_fixed64()? as i64),
        Kind::Double => float(f64::from_bits(r.read_fixed64()?))?,
        Kind::Message | Kind::Map => {
            return Err(WireError::Invalid("protobuf schema: not a scalar".into()))
        }
    })
}

/// The value of a map entry whose value field is missing.
fn zero_scalar(kind: Kind) -> Value {
    match kind {
        Kind::String | Kind::Bytes => Value::String(String::new()),
        Kind::Bool => Value::Bool(false),
        Kind::Float | Kind::Double => float(0.0).unwrap_or(Value::Null),
        _ => Value::from(0),
    }
}

/// Appends to the list under `key`, creating it.
fn push_items(out: &mut Obj, key: &str, items: Vec<Value>) {
    let slot = out
        .entry(key.to_string())
        .or_insert_with(|| Value::Array(Vec::new()));
    if !slot.is_array() {
        *slot = Value::Array(Vec::new());
    }
    if let Value::Array(list) = slot {
        list.extend(items);
    }
}

/// Sets `entry` in the map under `key`, creating it.
fn insert_entry(out: &mut Obj, key: &str, entry: String, value: Value) {
    let slot = out
        .entry(key.to_string())
        .or_insert_with(|| Value::Object(Map::new()));
    if !slot.is_object() {
        *slot = Value::Object(Map::new());
    }
    if let Value::Object(map) = slot {
        map.insert(entry, value);
    }
}

impl<'s> Decoder<'s> {
    /// Decodes and cleans one message as a JSON object.
    pub fn object(&self, data: &[u8], index: usize, depth: usize) -> Result<Obj, WireError> {
        let mut out = Map::new();
        self.decode_into(data, index, &mut out, depth)?;
        self.clean(out, index)
    }

    /// Decodes and cleans a top-level object. Its `metadata`, when present on the
    /// wire, is kept even if empty (Go prints `"metadata":{"creationTimestamp":null}`).
    pub fn root_object(&self, data: &[u8], index: usize, depth: usize) -> Result<Obj, WireError> {
        let mut raw = Map::new();
        self.decode_into(data, index, &mut raw, depth)?;
        let had_metadata = raw.contains_key("metadata");
        let cleaned = self.clean(raw, index)?;
        if !had_metadata || cleaned.contains_key("metadata") {
            return Ok(cleaned);
        }
        let mut out = Map::with_capacity(cleaned.len() + 1);
        out.insert("metadata".into(), Value::Object(Map::new()));
        out.extend(cleaned);
        Ok(out)
    }

    /// Decodes the fields of `data` into `out`, merging with what is there.
    fn decode_into(
        &self,
        data: &[u8],
        index: usize,
        out: &mut Obj,
        depth: usize,
    ) -> Result<(), WireError> {
        check_depth(depth)?;
        let message = msg(self.schema, index)?;
        let mut r = Reader::new(data);
        while !r.is_empty() {
            let (tag, wire) = r.read_key(&message.short)?;
            match message.field(tag) {
                Some(field) => self.decode_field(&mut r, wire, field, out, depth)?,
                None => r.skip(wire)?,
            }
        }
        Ok(())
    }

    fn decode_field(
        &self,
        r: &mut Reader<'_>,
        wire: WireType,
        field: &Field,
        out: &mut Obj,
        depth: usize,
    ) -> Result<(), WireError> {
        match field.kind {
            Kind::Map => {
                check_wire(wire, WireType::Len, &field.json)?;
                let entry = r.read_bytes()?;
                let (key, value) = self.map_entry(entry, field, depth + 1)?;
                insert_entry(out, &field.json, key, value);
            }
            Kind::Message => {
                check_wire(wire, WireType::Len, &field.json)?;
                let bytes = r.read_bytes()?;
                let sub = sub_message(field)?;
                let sub_msg = msg(self.schema, sub)?;
                if field.repeated {
                    let value = self.message_value(bytes, sub, depth + 1)?;
                    push_items(out, &field.json, vec![value.unwrap_or(Value::Null)]);
                } else if field.json.is_empty() {
                    // a struct embedded inline: its fields belong to this object
                    self.decode_into(bytes, sub, out, depth + 1)?;
                } else if sub_msg.special.is_none() && !sub_msg.list_alias {
                    let mut existing = match out.remove(&field.json) {
                        Some(Value::Object(map)) => map,
                        _ => Map::new(),
                    };
                    self.decode_into(bytes, sub, &mut existing, depth + 1)?;
                    let cleaned = self.clean(existing, sub)?;
                    out.insert(field.json.clone(), Value::Object(cleaned));
                } else {
                    match self.message_value(bytes, sub, depth + 1)? {
                        Some(v) => out.insert(field.json.clone(), v),
                        None => out.remove(&field.json),
                    };
                }
            }
            kind if field.repeated => {
                let want = scalar_wire_type(kind);
                if wire == WireType::Len && want != WireType::Len {
                    // packed
                    let bytes = r.read_bytes()?;
                    let mut packed = Reader::new(bytes);
                    let mut items = Vec::new();
                    while !packed.is_empty() {
                        items.push(read_scalar(&mut packed, kind)?);
                    }
                    push_items(out, &field.json, items);
                } else {
                    check_wire(wire, want, &field.json)?;
                    let v = read_scalar(r, kind)?;
                    push_items(out, &field.json, vec![v]);
                }
            }
            kind => {
                check_wire(wire, scalar_wire_type(kind), &field.json)?;
                let v = read_scalar(r, kind)?;
                out.insert(field.json.clone(), v);
            }
        }
        Ok(())
    }

    fn map_entry(
        &self,
        data: &[u8],
        field: &Field,
        depth: usize,
    ) -> Result<(String, Value), WireError> {
        check_depth(depth)?;
        let mut key = None;
        let mut value = None;
        let mut r = Reader::new(data);
        while !r.is_empty() {
            let (tag, wire) = r.read_key("MapEntry")?;
            match tag {
                1 => {
                    check_wire(wire, scalar_wire_type(field.map_key), &field.json)?;
                    key = Some(read_scalar(&mut r, field.map_key)?);
                }
                2 if field.map_value == Kind::Message => {
                    check_wire(wire, WireType::Len, &field.json)?;
                    let bytes = r.read_bytes()?;
                    let v = self.message_value(bytes, sub_message(field)?, depth + 1)?;
                    value = Some(v.unwrap_or(Value::Null));
                }
                2 => {
                    check_wire(wire, scalar_wire_type(field.map_value), &field.json)?;
                    value = Some(read_scalar(&mut r, field.map_value)?);
                }
                _ => r.skip(wire)?,
            }
        }
        let key = match key {
            Some(Value::String(s)) => s,
            Some(other) => other.to_string(),
            None => String::new(),
        };
        let value = match value {
            Some(v) => v,
            None if field.map_value == Kind::Message => self
                .message_value(&[], sub_message(field)?, depth + 1)?
                .unwrap_or(Value::Null),
            None => zero_scalar(field.map_value),
        };
        Ok((key, value))
    }

    /// The JSON value of one message; `None` when Go would encode it as null.
    fn message_value(
        &self,
        data: &[u8],
        index: usize,
        depth: usize,
    ) -> Result<Option<Value>, WireError> {
        check_depth(depth)?;
        let message = msg(self.schema, index)?;
        if let Some(special) = message.special {
            return self.special(special, data, message, depth);
        }
        if message.list_alias {
            let mut out = Map::new();
            self.decode_into(data, index, &mut out, depth)?;
            let items = message
                .fields
                .first()
                .and_then(|f| out.remove(&f.json))
                .unwrap_or(Value::Array(Vec::new()));
            return Ok(Some(items));
        }
        Ok(Some(Value::Object(self.object(data, index, depth)?)))
    }

    fn special(
        &self,
        special: Special,
        data: &[u8],
        message: &Message,
        depth: usize,
    ) -> Result<Option<Value>, WireError> {
        match special {
            Special::Time | Special::MicroTime => {
                if data.is_empty() {
                    return Ok(None);
                }
                let (mut seconds, mut nanos) = (0i64, 0i32);
                let mut r = Reader::new(data);
                while !r.is_empty() {
                    let (tag, wire) = r.read_key(&message.short)?;
                    match tag {
                        1 => {
                            check_wire(wire, WireType::Varint, "Seconds")?;
                            seconds = r.read_varint()? as i64;
                        }
                        2 => {
                            check_wire(wire, WireType::Varint, "Nanos")?;
                            nanos = r.read_varint()? as i32;
                        }
                        _ => r.skip(wire)?,
                    }
                }
                super::time::format(seconds, nanos, special == Special::MicroTime)
                    .map(|s| Some(Value::String(s)))
            }
            Special::Duration => {
                let mut nanos = 0i64;
                let mut r = Reader::new(data);
                while !r.is_empty() {
                    let (tag, wire) = r.read_key(&message.short)?;
                    if tag == 1 {
                        check_wire(wire, WireType::Varint, "Duration")?;
                        nanos = r.read_varint()? as i64;
                    } else {
                        r.skip(wire)?;
                    }
                }
                Ok(Some(Value::String(super::time::go_duration(nanos))))
            }
            Special::Quantity => {
                let mut text = String::new();
                let mut r = Reader::new(data);
                while !r.is_empty() {
                    let (tag, wire) = r.read_key(&message.short)?;
                    if tag == 1 {
                        check_wire(wire, WireType::Len, "String")?;
                        text = String::from_utf8_lossy(r.read_bytes()?).into_owned();
                    } else {
                        r.skip(wire)?;
                    }
                }
                // the zero Quantity prints as "0"
                if text.is_empty() {
                    text.push('0');
                }
                Ok(Some(Value::String(text)))
            }
            Special::IntOrString => {
                let (mut kind, mut int_val, mut str_val) = (0i64, 0i32, String::new());
                let mut r = Reader::new(data);
                while !r.is_empty() {
                    let (tag, wire) = r.read_key(&message.short)?;
                    match tag {
                        1 => {
                            check_wire(wire, WireType::Varint, "Type")?;
                            kind = r.read_varint()? as i64;
                        }
                        2 => {
                            check_wire(wire, WireType::Varint, "IntVal")?;
                            int_val = r.read_varint()? as i32;
                        }
                        3 => {
                            check_wire(wire, WireType::Len, "StrVal")?;
                            str_val = String::from_utf8_lossy(r.read_bytes()?).into_owned();
                        }
                        _ => r.skip(wire)?,
                    }
                }
                match kind {
                    0 => Ok(Some(Value::from(int_val))),
                    1 => Ok(Some(Value::String(str_val))),
                    _ => Err(WireError::Invalid("impossible IntOrString.Type".into())),
                }
            }
            Special::RawExtension | Special::RawJson => {
                let mut raw: &[u8] = &[];
                let mut r = Reader::new(data);
                while !r.is_empty() {
                    let (tag, wire) = r.read_key(&message.short)?;
                    if tag == 1 {
                        check_wire(wire, WireType::Len, "Raw")?;
                        raw = r.read_bytes()?;
                    } else {
                        r.skip(wire)?;
                    }
                }
                if raw.is_empty() {
                    return Ok(None);
                }
                if special == Special::RawExtension && raw.starts_with(MAGIC) {
                    return super::nested_envelope(self, raw, depth + 1).map(Some);
                }
                serde_json::from_slice(raw).map(Some).map_err(|e| {
                    WireError::Invalid(format!("{} does not hold valid JSON: {e}", message.short))
                })
            }
            Special::SchemaOrArray | Special::SchemaOrBool | Special::SchemaOrStringArray => {
                self.schema_or(special, data, message, depth)
            }
        }
    }

    /// JSONSchemaPropsOr{Array,Bool,StringArray}: field 1/2 hold the alternatives.
    fn schema_or(
        &self,
        special: Special,
        data: &[u8],
        message: &Message,
        depth: usize,
    ) -> Result<Option<Value>, WireError> {
        let schema_tag = if special == Special::SchemaOrBool {
            2
        } else {
            1
        };
        let mut schema: Option<Obj> = None;
        let mut list: Vec<Value> = Vec::new();
        let mut allows = false;
        let mut r = Reader::new(data);
        while !r.is_empty() {
            let (tag, wire) = r.read_key(&message.short)?;
            let Some(field) = message.field(tag) else {
                r.skip(wire)?;
                continue;
            };
            if tag == schema_tag && field.kind == Kind::Message {
                check_wire(wire, WireType::Len, &field.json)?;
                let bytes = r.read_bytes()?;
                let sub = sub_message(field)?;
                let mut merged = schema.take().unwrap_or_default();
                self.decode_into(bytes, sub, &mut merged, depth + 1)?;
                schema = Some(self.clean(merged, sub)?);
            } else if special == Special::SchemaOrBool && field.kind == Kind::Bool {
                check_wire(wire, WireType::Varint, &field.json)?;
                allows = r.read_varint()? != 0;
            } else if field.kind == Kind::Message {
                check_wire(wire, WireType::Len, &field.json)?;
                let bytes = r.read_bytes()?;
                let v = self.message_value(bytes, sub_message(field)?, depth + 1)?;
                list.push(v.unwrap_or(Value::Null));
            } else if field.kind == Kind::String {
                check_wire(wire, WireType::Len, &field.json)?;
                list.push(read_scalar(&mut r, Kind::String)?);
            } else {
                r.skip(wire)?;
            }
        }
        Ok(match special {
            Special::SchemaOrBool => Some(match schema {
                Some(s) => Value::Object(s),
                None => Value::Bool(allows),
            }),
            _ if !list.is_empty() => Some(Value::Array(list)),
            _ => schema.map(Value::Object),
        })
    }

    /// Drops zero values (see [`super::omit`]) and orders the fields as Go does.
    pub fn clean(&self, mut raw: Obj, index: usize) -> Result<Obj, WireError> {
        let mut out = Map::with_capacity(raw.len());
        self.clean_fields(&mut raw, index, &mut out, 0)?;
        // anything left has no schema field (cannot happen); keep it rather than lose it
        out.extend(raw);
        Ok(out)
    }

    fn clean_fields(
        &self,
        raw: &mut Obj,
        index: usize,
        out: &mut Obj,
        inline_depth: usize,
    ) -> Result<(), WireError> {
        check_depth(inline_depth)?;
        let message = msg(self.schema, index)?;
        for field in &message.fields {
            if field.json.is_empty() {
                if field.kind == Kind::Message {
                    self.clean_fields(raw, sub_message(field)?, out, inline_depth + 1)?;
                }
                continue;
            }
            let Some(value) = raw.remove(&field.json) else {
                continue;
            };
            if self.keep(message, field, &value)? {
                out.insert(field.json.clone(), value);
            }
        }
        Ok(())
    }

    fn keep(&self, message: &Message, field: &Field, value: &Value) -> Result<bool, WireError> {
        if field.repeated {
            return Ok(matches!(value, Value::Array(items) if !items.is_empty()));
        }
        Ok(match field.kind {
            Kind::Map => matches!(value, Value::Object(m) if !m.is_empty()),
            Kind::Message => {
                let sub = msg(self.schema, sub_message(field)?)?;
                if sub.special.is_some() {
                    true
                } else if sub.list_alias {
                    matches!(value, Value::Array(items) if !items.is_empty())
                } else {
                    matches!(value, Value::Object(m) if !m.is_empty())
                        || omit::keep_empty_message(&message.short, &field.json, &sub.name)
                }
            }
            _ => !is_zero(value) || omit::keep_zero(&message.short, &field.json),
        })
    }
}

fn is_zero(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::String(s) => s.is_empty(),
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
    }
}
