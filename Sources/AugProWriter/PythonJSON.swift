import AugProRuntime

/// JSON text exactly as Python's `json.dumps(value, sort_keys=True)` writes it: `", "` and
/// `": "` separators, keys sorted by code point, non-ASCII escaped as `\uXXXX` (`ensure_ascii`).
/// Streaming writes `index.json` and each shard's embedded config this way.
func pythonJSONDumps(_ value: JSONValue) -> String {
    var out = ""
    writePythonJSON(value, into: &out)
    return out
}

private func writePythonJSON(_ value: JSONValue, into out: inout String) {
    switch value {
    case .null: out += "null"
    case .bool(let flag): out += flag ? "true" : "false"
    case .int(let number): out += String(number)
    case .double(let number): out += pythonFloatRepr(number)
    case .numberText(let text): out += text
    case .string(let text): writePythonString(text, into: &out)
    case .array(let elements):
        out += "["
        for (index, element) in elements.enumerated() {
            if index > 0 { out += ", " }
            writePythonJSON(element, into: &out)
        }
        out += "]"
    case .object(let members):
        out += "{"
        for (index, key) in members.keys.sorted(by: pythonStringLess).enumerated() {
            if index > 0 { out += ", " }
            writePythonString(key, into: &out)
            out += ": "
            writePythonJSON(members[key]!, into: &out)
        }
        out += "}"
    }
}

/// Python's `repr(float)` for the values JSON allows (shortest round-trip digits).
private func pythonFloatRepr(_ number: Double) -> String {
    if number.isNaN { return "NaN" }
    if number.isInfinite { return number > 0 ? "Infinity" : "-Infinity" }
    return "\(number)"
}

private func writePythonString(_ text: String, into out: inout String) {
    out += "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case "\u{08}": out += "\\b"
        case "\u{0C}": out += "\\f"
        case let s where s.value < 0x20 || s.value > 0x7E:
            if s.value > 0xFFFF {
                let offset = s.value - 0x10000
                out += unicodeEscape(0xD800 + (offset >> 10))
                out += unicodeEscape(0xDC00 + (offset & 0x3FF))
            } else {
                out += unicodeEscape(s.value)
            }
        default: out.unicodeScalars.append(scalar)
        }
    }
    out += "\""
}

private func unicodeEscape(_ codeUnit: UInt32) -> String {
    let hex = String(codeUnit, radix: 16)
    return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
}
