//! The protobuf wire format: varints, keys, length-delimited slices, skipping.
//!
//! Every read is bounds-checked against the input slice; nothing allocates here.
//! Error texts follow the ones gogo-protobuf generated code returns, which
//! kube-apiserver puts into its 400 responses.

use thiserror::Error;

/// A malformed protobuf payload (or one whose content cannot be turned into JSON).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WireError {
    /// The input ended inside a field.
    #[error("unexpected EOF")]
    UnexpectedEof,
    /// A varint longer than 64 bits.
    #[error("proto: integer overflow")]
    IntegerOverflow,
    /// A length prefix that does not fit a signed 64-bit integer.
    #[error("proto: negative length found during unmarshaling")]
    NegativeLength,
    /// Field number 0 (or one beyond the 29-bit range).
    #[error("proto: {message}: illegal tag {tag} (wire type {wire_type})")]
    IllegalTag {
        message: String,
        tag: u64,
        wire_type: u8,
    },
    /// Wire types 6 and 7 do not exist.
    #[error("proto: illegal wireType {0}")]
    IllegalWireType(u8),
    /// An end-group marker where no group was open.
    #[error("proto: {message}: wiretype end group for non-group")]
    EndGroup { message: String },
    /// A known field carried with a wire type its type cannot have.
    #[error("proto: wrong wireType = {wire_type} for field {field}")]
    WrongWireType { field: String, wire_type: u8 },
    /// Messages (or groups) nested deeper than the decoder allows.
    #[error("proto: message nesting exceeds the maximum depth of {0}")]
    TooDeep(usize),
    /// The bytes are well-formed protobuf but the value has no JSON form
    /// (an impossible IntOrString type, a time out of range, invalid embedded JSON...).
    #[error("{0}")]
    Invalid(String),
}

/// The wire type of a field, from the low three bits of its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireType {
    Varint,
    Fixed64,
    Len,
    StartGroup,
    Fixed32,
}

impl WireType {
    pub fn code(self) -> u8 {
        match self {
            WireType::Varint => 0,
            WireType::Fixed64 => 1,
            WireType::Len => 2,
            WireType::StartGroup => 3,
            WireType::Fixed32 => 5,
        }
    }
}

/// Groups are skipped with an explicit counter, never recursion; this bounds it.
const MAX_GROUP_DEPTH: usize = 100;

/// A cursor over one message's bytes.
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    pub fn is_empty(&self) -> bool {
        self.pos >= self.buf.len()
    }

    fn remaining(&self) -> &'a [u8] {
        self.buf.get(self.pos..).unwrap_or(&[])
    }

    pub fn read_varint(&mut self) -> Result<u64, WireError> {
        let mut value: u64 = 0;
        for (i, &b) in self.remaining().iter().enumerate() {
            if i >= 10 {
                return Err(WireError::IntegerOverflow);
            }
            // like gogo-protobuf, bits beyond the 64th are dropped, a 11th byte is an error
            value |= u64::from(b & 0x7f) << (7 * i);
            if b < 0x80 {
                self.pos += i + 1;
                return Ok(value);
            }
        }
        Err(WireError::UnexpectedEof)
    }

    /// A field key: (field number, wire type). `message` names the message for errors.
    pub fn read_key(&mut self, message: &str) -> Result<(u32, WireType), WireError> {
        let key = self.read_varint()?;
        let wire = (key & 7) as u8;
        let tag = key >> 3;
        let wire_type = match wire {
            0 => WireType::Varint,
            1 => WireType::Fixed64,
            2 => WireType::Len,
            3 => WireType::StartGroup,
            4 => {
                return Err(WireError::EndGroup {
                    message: message.to_string(),
                })
            }
            5 => WireType::Fixed32,
            other => return Err(WireError::IllegalWireType(other)),
        };
        match u32::try_from(tag) {
            Ok(t) if t > 0 && t < (1 << 29) => Ok((t, wire_type)),
            _ => Err(WireError::IllegalTag {
                message: message.to_string(),
                tag,
                wire_type: wire,
            }),
        }
    }

    /// A length-delimited payload, borrowed from the input.
    pub fn read_bytes(&mut self) -> Result<&'a [u8], WireError> {
        let len = self.read_varint()?;
        if len > i64::MAX as u64 {
            return Err(WireError::NegativeLength);
        }
        let rest = self.remaining();
        let len = usize::try_from(len).map_err(|_| WireError::UnexpectedEof)?;
        let out = rest.get(..len).ok_or(WireError::UnexpectedEof)?;
        self.pos += len;
        Ok(out)
    }

    pub fn read_fixed32(&mut self) -> Result<u32, WireError> {
        let bytes = self.remaining().get(..4).ok_or(WireError::UnexpectedEof)?;
        let mut arr = [0u8; 4];
        arr.copy_from_slice(bytes);
        self.pos += 4;
        Ok(u32::from_le_bytes(arr))
    }

    pub fn read_fixed64(&mut self) -> Result<u64, WireError> {
        let bytes = self.remaining().get(..8).ok_or(WireError::UnexpectedEof)?;
        let mut arr = [0u8; 8];
        arr.copy_from_slice(bytes);
        self.pos += 8;
        Ok(u64::from_le_bytes(arr))
    }

    /// Skips the value of an unknown field whose key was just read.
    pub fn skip(&mut self, wire_type: WireType) -> Result<(), WireError> {
        match wire_type {
            WireType::Varint => self.read_varint().map(drop),
            WireType::Fixed64 => self.read_fixed64().map(drop),
            WireType::Fixed32 => self.read_fixed32().map(drop),
            WireType::Len => self.read_bytes().map(drop),
            WireType::StartGroup => {
                let mut depth = 1usize;
                while depth > 0 {
                    if self.is_empty() {
                        return Err(WireError::UnexpectedEof);
                    }
                    let key = self.read_varint()?;
                    match key & 7 {
                        0 => drop(self.read_varint()?),
                        1 => drop(self.read_fixed64()?),
                        2 => drop(self.read_bytes()?),
                        3 => {
                            depth += 1;
                            if depth > MAX_GROUP_DEPTH {
                                return Err(WireError::TooDeep(MAX_GROUP_DEPTH));
                            }
                        }
                        4 => depth -= 1,
                        5 => drop(self.read_fixed32()?),
                        other => return Err(WireError::IllegalWireType(other as u8)),
                    }
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints() {
        assert_eq!(Reader::new(&[0x00]).read_varint(), Ok(0));
        assert_eq!(Reader::new(&[0xa3, 0x01]).read_varint(), Ok(163));
        let max = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
        assert_eq!(Reader::new(&max).read_varint(), Ok(u64::MAX));
        let over = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02];
        assert_eq!(Reader::new(&over).read_varint(), Ok(u64::MAX >> 1));
        let long = [0x80; 11];
        assert_eq!(
            Reader::new(&long).read_varint(),
            Err(WireError::IntegerOverflow)
        );
        assert_eq!(
            Reader::new(&[0x80, 0x80]).read_varint(),
            Err(WireError::UnexpectedEof)
        );
        assert_eq!(
            Reader::new(&[]).read_varint(),
            Err(WireError::UnexpectedEof)
        );
    }

    #[test]
    fn keys_and_lengths() {
        let mut r = Reader::new(b"\x0a\x03abc\x10");
        assert_eq!(r.read_key("M"), Ok((1, WireType::Len)));
        assert_eq!(r.read_bytes(), Ok(&b"abc"[..]));
        assert_eq!(r.read_key("M"), Ok((2, WireType::Varint)));
        assert!(r.is_empty());
        assert_eq!(
            Reader::new(b"\x00").read_key("M"),
            Err(WireError::IllegalTag {
                message: "M".into(),
                tag: 0,
                wire_type: 0
            })
        );
        assert_eq!(
            Reader::new(b"\x0f").read_key("M"),
            Err(WireError::IllegalWireType(7))
        );
        assert_eq!(
            Reader::new(b"\x0c").read_key("M").unwrap_err().to_string(),
            "proto: M: wiretype end group for non-group"
        );
        // a length longer than the rest of the input
        assert_eq!(
            Reader::new(b"\x05ab").read_bytes(),
            Err(WireError::UnexpectedEof)
        );
        // a length with the sign bit set
        let neg = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
        assert_eq!(
            Reader::new(&neg).read_bytes(),
            Err(WireError::NegativeLength)
        );
    }

    #[test]
    fn skips_groups_without_recursion() {
        // group 1 { varint 2; group 3 { } } then a varint field
        let mut r = Reader::new(b"\x0b\x10\x01\x1b\x1c\x0c\x08\x07");
        let (tag, wt) = r.read_key("M").unwrap_or((0, WireType::Varint));
        assert_eq!((tag, wt), (1, WireType::StartGroup));
        assert_eq!(r.skip(wt), Ok(()));
        assert_eq!(r.read_key("M"), Ok((1, WireType::Varint)));
        // unterminated and too deep groups
        let mut r = Reader::new(b"\x10\x01");
        assert_eq!(r.skip(WireType::StartGroup), Err(WireError::UnexpectedEof));
        let deep = vec![0x0b; 1000];
        let mut r = Reader::new(&deep);
        assert_eq!(
            r.skip(WireType::StartGroup),
            Err(WireError::TooDeep(MAX_GROUP_DEPTH))
        );
    }
}
