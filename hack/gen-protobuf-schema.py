#!/usr/bin/env python3
"""Generate crates/vnest-api/data/protobuf-schema.json.

The data file tells the protobuf request decoder (crates/vnest-api/src/protobuf.rs)
how every Kubernetes protobuf message is laid out on the wire and which JSON
property each field number becomes.  It is committed; nothing reads k8s-pb at
build or run time.

Inputs
  1. The prost-generated sources of the crates.io package k8s-pb (0.9.0 was
     used), e.g. ~/.cargo/registry/src/index.crates.io-*/k8s-pb-0.9.0/src/.
     For every message they carry `#[prost(<type>, <label>, tag = "N")]`
     attributes, snake_case field names and Rust field types.
  2. crates/vnest-api/data/patch-metadata.json: the camelCase JSON property
     names of every definition and its `__definition__.gvk` entries.

Output (one JSON object, one line per message so diffs stay readable):
  {"kinds":    {"<apiVersion>/<Kind>": "<definition>", ...},
   "messages": {"<definition>": {"<tag>": [jsonName, wireKind, repeated(0|1), ...]}}}
  - wireKind is a protobuf scalar type (string, bytes, bool, int32, int64,
    uint32, uint64, sint32, sint64, fixed32, fixed64, sfixed32, sfixed64,
    float, double, enum), "message" (4th element: the message definition) or
    "map" (4th/5th: key and value kinds, 6th: value message when it is one).
  - jsonName "" marks an embedded Go struct serialised inline in JSON
    (`json:",inline"`, e.g. Volume.volumeSource, Probe.handler).
  - a message holding {"$list": 1} is a Go slice alias (`+protobuf.nullable=true`,
    e.g. ExtraValue, Verbs): its JSON form is the `items` array itself.
  Only messages reachable from a definition in patch-metadata.json are kept.

Field names are matched to JSON names by comparing lowercase names with
everything but letters and digits removed, within the same definition.  Fields
without a match are either inline structs (see above), or take the casing of the
same normalised name elsewhere in patch-metadata.json, or else plain lowerCamelCase.
Those fallbacks are reported on stderr.

Regenerate (from the repository root; `cargo fetch` or any build that pulls
k8s-pb into the registry cache first):
  python3 hack/gen-protobuf-schema.py \\
      ~/.cargo/registry/src/index.crates.io-*/k8s-pb-0.9.0/src \\
      crates/vnest-api/data/patch-metadata.json \\
      crates/vnest-api/data/protobuf-schema.json
Without arguments the script looks for k8s-pb-0.9.0 under ~/.cargo/registry/src
and uses the default data paths relative to the repository root.
"""

import glob
import json
import os
import re
import sys

PROST_ATTR = re.compile(r"#\[prost\((.*)\)\]")
STRUCT = re.compile(r"^pub struct (\w+) \{")
EMPTY_STRUCT = re.compile(r"^pub struct (\w+) \{\}")
FIELD = re.compile(r"^\s*pub (?:r#)?(\w+):(.*)$")
TAG = re.compile(r'tag = "(\d+)"')
MAP = re.compile(r'btree_map = "(\w+), (\w+)"')

SCALARS = {
    "string", "bool", "int32", "int64", "uint32", "uint64", "sint32", "sint64",
    "fixed32", "fixed64", "sfixed32", "sfixed64", "float", "double",
}

TOP_PREFIXES = {
    "api": "io.k8s.api",
    "apimachinery": "io.k8s.apimachinery",
    "apiextensions_apiserver": "io.k8s.apiextensions-apiserver",
    "kube_aggregator": "io.k8s.kube-aggregator",
    "metrics": "io.k8s.metrics",
}


def norm(name):
    return re.sub(r"[^a-z0-9]", "", name.lower())


def lower_camel(snake):
    parts = snake.split("_")
    return parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:])


def module_of(src_root, path):
    rel = os.path.relpath(os.path.dirname(path), src_root)
    return [] if rel == "." else rel.split(os.sep)


def def_prefix(module):
    if not module or module[0] not in TOP_PREFIXES:
        return None
    return ".".join([TOP_PREFIXES[module[0]]] + module[1:])


def resolve_type(module, rust_type):
    """Turn a Rust type path (relative, with super::) into (module, name)."""
    inner = rust_type
    for wrapper in ("::core::option::Option<", "::prost::alloc::vec::Vec<",
                    "::prost::alloc::boxed::Box<"):
        inner = inner.replace(wrapper, "")
    inner = inner.replace(">", "").replace(",", "").strip()
    parts = inner.split("::")
    mod = list(module)
    while parts and parts[0] == "super":
        mod = mod[:-1]
        parts = parts[1:]
    if parts and parts[0] == "crate":
        mod = []
        parts = parts[1:]
    return mod + parts[:-1], parts[-1]


def parse_file(src_root, path):
    module = module_of(src_root, path)
    lines = open(path, encoding="utf-8").read().splitlines()
    structs = {}
    docs = []
    current = None
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if stripped.startswith("///"):
            docs.append(stripped)
        m = EMPTY_STRUCT.match(line)
        if m:
            structs[m.group(1)] = {"fields": [], "docs": docs, "module": module}
            docs = []
            i += 1
            continue
        m = STRUCT.match(line)
        if m:
            current = {"fields": [], "docs": docs, "module": module}
            structs[m.group(1)] = current
            docs = []
            i += 1
            continue
        if line.startswith("}"):
            current = None
            docs = []
        if current is not None:
            a = PROST_ATTR.search(line)
            if a:
                attr = a.group(1)
                # the field line follows, possibly spanning several lines
                j = i + 1
                while not FIELD.match(lines[j]):
                    j += 1
                fm = FIELD.match(lines[j])
                text = fm.group(2)
                while not (text.rstrip().endswith(",") and text.count("<") == text.count(">")):
                    j += 1
                    text += lines[j].strip()
                current["fields"].append((fm.group(1), attr, text.strip().rstrip(","), module))
                i = j + 1
                continue
        if not stripped.startswith("///") and not stripped.startswith("#["):
            if current is None:
                docs = []
        i += 1
    return structs


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(here)
    if len(sys.argv) == 4:
        src_root, meta_path, out_path = sys.argv[1:]
    elif len(sys.argv) == 1:
        found = sorted(glob.glob(os.path.expanduser(
            "~/.cargo/registry/src/*/k8s-pb-0.9.0/src")))
        if not found:
            sys.exit("k8s-pb-0.9.0 not found under ~/.cargo/registry/src; pass paths")
        src_root = found[0]
        meta_path = os.path.join(repo, "crates/vnest-api/data/patch-metadata.json")
        out_path = os.path.join(repo, "crates/vnest-api/data/protobuf-schema.json")
    else:
        sys.exit(__doc__)

    meta = json.load(open(meta_path, encoding="utf-8"))

    # every prost struct, keyed by (module tuple, rust name)
    structs = {}
    for path in sorted(glob.glob(os.path.join(src_root, "**", "*.rs"), recursive=True)):
        for name, s in parse_file(src_root, path).items():
            structs[(tuple(s["module"]), name)] = s

    # rust struct -> definition key
    defs_by_prefix = {}
    for key in meta:
        prefix, _, short = key.rpartition(".")
        defs_by_prefix.setdefault(prefix, {})[short.lower()] = key

    def def_key(module, name):
        prefix = def_prefix(list(module))
        if prefix is None:
            return None
        exact = prefix + "." + name
        if exact in meta:
            return exact
        return defs_by_prefix.get(prefix, {}).get(name.lower(), exact)

    # global casing dictionary for fallbacks
    casing = {}
    for props in meta.values():
        for prop in props:
            if prop != "__definition__":
                casing.setdefault(norm(prop), prop)

    by_def = {}
    for (module, name), s in structs.items():
        key = def_key(module, name)
        if key is not None:
            by_def[key] = s

    warnings = []

    def is_inline(props, ref):
        """An embedded struct whose fields are properties of the parent."""
        sub = by_def.get(ref)
        if sub is None:
            return False
        names = [norm(f[0]) for f in sub["fields"]]
        hits = sum(1 for n in names if n in props)
        return bool(names) and hits >= max(1, (len(names) + 1) // 2)

    def convert(key, s):
        props = {norm(p): p for p in meta.get(key, {}) if p != "__definition__"}
        out = {}
        if any("+protobuf.nullable=true" in d for d in s["docs"]):
            out["$list"] = 1
        refs = []
        for fname, attr, rtype, module in s["fields"]:
            tag = TAG.search(attr).group(1)
            first = attr.split(",")[0].strip()
            repeated = 1 if " repeated" in attr else 0
            entry = None
            ref = None
            m = MAP.search(attr)
            if m:
                kk, vk = m.group(1), m.group(2)
                entry = ["map", 0, kk, vk]
                if vk == "message":
                    vt = rtype.split(",", 1)[1].rsplit(">", 1)[0].strip()
                    ref = def_key(*resolve_type(module, vt))
                    entry.append(ref)
            elif first == "message":
                ref = def_key(*resolve_type(module, rtype))
                entry = ["message", repeated, ref]
            elif first.startswith("bytes"):
                entry = ["bytes", repeated]
            elif first.startswith("enumeration"):
                entry = ["enum", repeated]
            elif first in SCALARS:
                entry = [first, repeated]
            else:
                sys.exit("unknown prost attribute %r in %s" % (attr, key))
            if ref is not None:
                refs.append(ref)
            n = norm(fname)
            if n in props:
                json_name = props[n]
            elif entry[0] == "message" and props and is_inline(props, ref):
                json_name = ""
                warnings.append("inline   %s.%s (%s)" % (key, fname, ref))
            elif n in casing:
                json_name = casing[n]
                if key in meta:
                    warnings.append("casing   %s.%s -> %s" % (key, fname, json_name))
            else:
                json_name = lower_camel(fname)
                warnings.append("camel    %s.%s -> %s" % (key, fname, json_name))
            out[tag] = [json_name] + entry
        return out, refs

    # reachability from the definitions in patch-metadata.json
    messages = {}
    todo = [k for k in sorted(meta) if k in by_def]
    while todo:
        key = todo.pop()
        if key in messages or key not in by_def:
            continue
        msg, refs = convert(key, by_def[key])
        messages[key] = msg
        todo.extend(r for r in refs if r not in messages)
    missing = sorted({r for m in messages.values() for f in m.values()
                      if isinstance(f, list) for r in f[3:] if isinstance(r, str)
                      and r.startswith("io.") and r not in messages})
    for r in missing:
        warnings.append("unknown  message %s" % r)

    kinds = {}
    for key in sorted(meta):
        for gvk in meta[key].get("__definition__", {}).get("gvk", []):
            if key not in messages:
                continue
            gv = gvk["version"] if not gvk["group"] else gvk["group"] + "/" + gvk["version"]
            kinds.setdefault(gv + "/" + gvk["kind"], key)

    for w in sorted(warnings):
        print(w, file=sys.stderr)

    with open(out_path, "w", encoding="utf-8") as f:
        f.write('{"generator":"hack/gen-protobuf-schema.py from k8s-pb 0.9.0 and '
                'patch-metadata.json; do not edit",\n"kinds":{\n')
        f.write(",\n".join("%s:%s" % (json.dumps(k), json.dumps(v)) for k, v in sorted(kinds.items())))
        f.write("\n},\n\"messages\":{\n")
        f.write(",\n".join("%s:%s" % (json.dumps(k), json.dumps(messages[k], separators=(",", ":")))
                           for k in sorted(messages)))
        f.write("\n}}\n")
    print("wrote %s: %d messages, %d kinds" % (out_path, len(messages), len(kinds)), file=sys.stderr)


if __name__ == "__main__":
    main()
