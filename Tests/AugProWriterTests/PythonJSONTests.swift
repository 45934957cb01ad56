import AugProRuntime
import AugProTestSupport
@testable import AugProWriter
import Foundation
import Testing

/// `pythonJSONDumps` is byte-identical to Python's `json.dumps(obj, sort_keys=True)`.
@Suite struct PythonJSONTests {
    @Test func matchesPythonOnTrickyKeysAndStrings() throws {
        let tricky = "é 漢字 😀 \u{7F} \u{7E} \u{1F} \u{08}\u{0C}\n\r\t \"q\" \\ / \u{2028} \u{FFFD}"
        let value = JSONValue.object([
            "z": .int(-5), "a": .array([.null, .bool(true), .bool(false), .string(""), .int(Int.max)]),
            "Z": .object([:]), "é": .string(tricky), "😀": .array([]), "e": .double(0.1), "\u{7F}": .string("x"),
            "nested": .object(["b": .array([.object(["y": .int(1), "x": .int(2)])]), "a": .null]),
        ])
        let ours = pythonJSONDumps(value)
        let script = try TestEnvironment.temporaryDirectory("pyjson").appendingPathComponent("dumps.py")
        try "import json, sys\nsys.stdout.write(json.dumps(json.loads(sys.stdin.read()), sort_keys=True))\n"
            .write(to: script, atomically: true, encoding: .utf8)
        let python = try TestEnvironment.runPython(script, standardInput: Data(ours.utf8))
        #expect(String(decoding: python, as: UTF8.self) == ours)
        #expect(ours.utf8.allSatisfy { $0 < 0x80 })
    }
}
