import Foundation
import Testing
import WorkbenchInstructions
import WorkbenchKit
import WorkbenchLM
import WorkbenchRandom
import WorkbenchTestSupport

/// A folder of Super-NaturalInstructions task files written for these tests in the official
/// schema: a Definition list and a Definition string, several references, a Spanish task, a
/// NaN in a field workbench does not read, and two splits.
func writeSNIFolder(_ folder: TemporaryDirectory) {
  try! FileManager.default.createDirectory(
    at: folder.url.appendingPathComponent("tasks"), withIntermediateDirectories: true)
  for split in ["default", "mini"] {
    try! FileManager.default.createDirectory(
      at: folder.url.appendingPathComponent("splits/\(split)"), withIntermediateDirectories: true)
  }
  folder.write(
    "tasks/task001_capitals.json",
    """
    {
      "Contributors": ["Test"],
      "Source": ["handwritten"],
      "URL": [NaN],
      "Categories": ["Question Answering"],
      "Reasoning": [],
      "Definition": ["Answer with the capital of the country.", "(An unused second definition.)"],
      "Input_language": ["English"], "Output_language": ["English"], "Instruction_language": ["English"],
      "Domains": ["Geography"],
      "Positive Examples": [{"input": "France", "output": "Paris", "explanation": "Paris is France's capital."}],
      "Negative Examples": [{"input": "Spain", "output": "Barcelona", "explanation": "Madrid is."}],
      "Instances": [
        {"id": "task001-a", "input": "Italy", "output": ["Rome", "Roma"]},
        {"id": "task001-b", "input": "Japan", "output": ["Tokyo"]},
        {"id": "task001-c", "input": "Peru", "output": ["Lima"]},
        {"id": "task001-d", "input": "Kenya", "output": ["Nairobi"]}
      ]
    }
    """)
  folder.write(
    "tasks/task002_titles.json",
    """
    {"Categories": ["Title Generation"], "Definition": "Write a title for the text.",
     "Input_language": ["English"], "Output_language": ["English"], "Instruction_language": ["English"],
     "Positive Examples": [], "Negative Examples": [],
     "Instances": [{"id": "task002-0", "input": "A dog ran \\u00e0 la plage \\ud83d\\ude00.", "output": ["Dog runs", "Beach dog"]},
                   {"id": "task002-1", "input": "Rain fell all day.", "output": ["Rainy day"]}]}
    """)
  folder.write(
    "tasks/task003_spanish.json",
    """
    {"Categories": ["Translation"], "Definition": ["Traduce la frase."],
     "Input_language": ["Spanish"], "Output_language": ["English"], "Instruction_language": ["Spanish"],
     "Instances": [{"id": "task003-0", "input": "hola", "output": ["hello"]}]}
    """)
  folder.write(
    "tasks/task004_sentiment.json",
    """
    {"Categories": ["Sentiment Analysis"], "Definition": ["Is the review positive or negative?"],
     "Input_language": ["English"], "Output_language": ["English"], "Instruction_language": ["English"],
     "Positive Examples": [{"input": "Great film.", "output": "positive", "explanation": ""}],
     "Instances": [{"id": "task004-0", "input": "Dull.", "output": ["negative"]},
                   {"id": "task004-1", "input": "Loved it!", "output": ["positive"]},
                   {"id": "task004-2", "input": "Fine.", "output": ["positive"]}]}
    """)
  folder.write("splits/default/train_tasks.txt", "task001_capitals\ntask003_spanish\ntask004_sentiment\n")
  folder.write("splits/default/test_tasks.txt", "task002_titles\n")
  folder.write("splits/mini/train_tasks.txt", "# a custom split\ntask002_titles.json\n\n")
  folder.write("splits/mini/test_tasks.txt", "task001_capitals\ntask003_spanish\n")
}

@Suite struct SNIDatasetTests {
  @Test func readsBothDefinitionFormsSeveralReferencesAndFiltersOtherLanguages() throws {
    let folder = TemporaryDirectory()
    writeSNIFolder(folder)
    var source = SNISource(path: folder.url.path)
    source.testInstances = 3
    source.maxInstancesPerTask = 2
    let data = try SNIDataset(source)
    #expect(data.train.map(\.name) == ["task001_capitals", "task004_sentiment"])
    #expect(data.filtered == ["task003_spanish"])
    #expect(data.test.map(\.name) == ["task002_titles"])
    let capitals = data.train[0]
    #expect(capitals.definition == "Answer with the capital of the country.")
    #expect(capitals.category == "Question Answering" && capitals.instanceCount == 4)
    #expect(
      capitals.positives.map { [$0.input, $0.output, $0.explanation] } == [
        ["France", "Paris", "Paris is France's capital."]
      ])
    #expect(capitals.negatives.count == 1)
    // Tuning keeps a seeded sample of max_instances_per_task, the same every time.
    #expect(capitals.instances.count == 2)
    #expect(try SNIDataset(source).train[0].instances == capitals.instances)
    #expect(Set(capitals.instances.map(\.id)).isSubset(of: ["task001-a", "task001-b", "task001-c", "task001-d"]))
    // The test set is the first instances, all references kept; \u escapes and surrogate pairs decoded.
    let titles = data.test[0]
    #expect(titles.definition == "Write a title for the text.")
    #expect(titles.instances.map(\.id) == ["task002-0", "task002-1"])
    #expect(titles.instances[0].outputs == ["Dog runs", "Beach dog"])
    #expect(titles.instances[0].input == "A dog ran à la plage 😀.")
    // All languages on request; a custom split with comments and `.json` names.
    source.languages = "all"
    #expect(try SNIDataset(source).train.count == 3)
    source.split = "mini"
    let mini = try SNIDataset(source)
    #expect(mini.train.map(\.name) == ["task002_titles"])
    #expect(mini.test.map(\.name) == ["task001_capitals", "task003_spanish"])
    #expect(mini.test[0].instances.map(\.id) == ["task001-a", "task001-b", "task001-c"])
    // Nested training subsets.
    source.split = "default"
    let all = try SNIDataset(source)
    #expect(
      all.trainingSubset(1, seed: 0).map(\.name).allSatisfy { all.trainingSubset(2, seed: 0).map(\.name).contains($0) })
  }

  /// Each bad input names the file, and the JSON position where there is one.
  @Test func badInputGivesOneLineNamingTheFile() throws {
    let folder = TemporaryDirectory()
    writeSNIFolder(folder)
    func failure(_ source: SNISource) -> String {
      do {
        _ = try SNIDataset(source)
        return "no error"
      } catch { return "\(error)" }
    }
    #expect(failure(SNISource(path: folder.path("nowhere"))).contains("nowhere: no such folder"))
    var source = SNISource(path: folder.url.path)
    source.split = "missing"
    let noSplit = failure(source)
    #expect(noSplit.contains("splits/missing/train_tasks.txt: no such split file; the splits are default, mini"))
    source.split = "default"
    folder.write("splits/default/test_tasks.txt", "task002_titles\ntask999_absent\n")
    #expect(failure(source).contains("test_tasks.txt:2: task task999_absent is named in the split but"))
    folder.write("splits/default/test_tasks.txt", "task002_titles\n")
    let cases: [(String, String)] = [
      (
        "{\"Definition\": [\"x\"],\n \"Instances\": [{\"id\": \"a\", \"input\": \"b\" \"output\": [\"c\"]}]}",
        "line 2, column 41: expected ',' or '}'"
      ),
      (
        "{\"Definition\": [\"x\"], \"Instances\": [{\"id\": \"a\", \"input\": \"b\", \"outp",
        "the file ends inside a string"
      ),
      ("{\"Definition\": [\"x\"], \"Instances\": []}", "the task has no instances"),
      ("{\"Definition\": [\"x\"]}", "no \"Instances\""),
      (
        "{\"Definition\": [\"x\"], \"Instances\": [{\"id\": \"a\", \"input\": \"b\"}]}",
        "\"Instances\"[0] has no \"output\""
      ),
      (
        "{\"Definition\": [\"x\"], \"Instances\": [{\"id\": \"a\", \"input\": \"b\", \"output\": []}]}",
        "empty \"output\" list"
      ),
      ("{\"Instances\": [{\"id\": \"a\", \"input\": \"b\", \"output\": [\"c\"]}]}", "no \"Definition\""),
      ("[1, 2]", "must hold one JSON object, not a list"),
    ]
    for (text, expected) in cases {
      folder.write("tasks/task004_sentiment.json", text)
      let message = failure(source)
      #expect(message.contains("task004_sentiment.json: ") && message.contains(expected), "\(message)")
      #expect(!message.contains("\n"))
    }
  }

  @Test func jsonReaderAcceptsWhatPythonWritesAndRefusesTheRest() throws {
    let value = try JSONReader.parse(
      "{\"a\": [1, -2.5e3, NaN, Infinity, -Infinity, true, null], \"b\": \"\\\"\\\\\\/\\n\"}")
    guard case .array(let items) = value["a"]! else { Issue.record("not a list"); return }
    #expect(items.count == 7 && items[1] == .number(-2500) && items[4] == .number(-.infinity))
    #expect(value["b"]?.string == "\"\\/\n")
    for bad in ["", "{", "[1,]", "01", "\"a\nb\"", "{\"a\" 1}", "nul", "1 2", "\"\\x\""] {
      #expect(throws: JSONReadError.self, "\(bad)") { try JSONReader.parse(bad) }
    }
    #expect(throws: JSONReadError.self) { try JSONReader.parse(String(repeating: "[", count: 100_000)) }
    // The one-line writer reads back.
    let text = JSONNode.object([("k", .string("ünï\u{1}\"")), ("n", .array([.number(3), .bool(false)]))]).text
    #expect(
      try JSONReader.parse(text) == .object([("k", .string("ünï\u{1}\"")), ("n", .array([.number(3), .bool(false)]))]))
  }
}

@Suite struct BPETokenizerTests {
  static let corpus = [
    "Definition: Answer with the capital of the country.", "Input: Italy", "Output: Rome",
    "The quick brown fox jumps over the lazy dog. The dog sleeps.", "naïve café — ünïcödé 😀 123 4567",
  ]

  @Test func trainingIsDeterministicAndLearnsMerges() {
    let a = BPETokenizer.train(texts: Self.corpus, vocabulary: 270)
    let b = BPETokenizer.train(texts: Self.corpus, vocabulary: 270)
    #expect(a == b)
    #expect(a.vocabulary == 270)
    // The first merge joins two bytes; later ones build on merges.
    #expect(a.merges[0].left < 256 && a.merges[0].right < 256)
    #expect(a.merges.contains { $0.left >= 257 || $0.right >= 257 })
    let text = "The dog answers with the capital."
    #expect(a.encode(text).count < text.utf8.count)
    // Merges only where pairs repeat: a tiny text stops short of the vocabulary asked for.
    #expect(BPETokenizer.train(texts: ["abab"], vocabulary: 1000).vocabulary == 258)
  }

  @Test func anyTextAndAnyBytesRoundTrip() {
    let tokenizer = BPETokenizer.train(texts: Self.corpus, vocabulary: 320)
    var g = SeededGenerator(seed: 5)
    for _ in 0..<200 {
      let scalars = (0..<Int.random(in: 0...40, using: &g)).map { _ -> Character in
        let pools: [ClosedRange<UInt32>] = [0x20...0x7E, 0x0...0x1F, 0xA0...0x24F, 0x1F600...0x1F64F, 0x4E00...0x4E80]
        return Character(Unicode.Scalar(UInt32.random(in: pools.randomElement(using: &g)!, using: &g))!)
      }
      let text = String(scalars)
      #expect(tokenizer.decode(tokenizer.encode(text)) == text)
      let bytes = (0..<Int.random(in: 0...40, using: &g)).map { _ in UInt8.random(in: 0...255, using: &g) }
      #expect(tokenizer.decodeBytes(tokenizer.encode(bytes: bytes)) == bytes)
    }
    #expect(tokenizer.decode(tokenizer.encode("stop") + [BPETokenizer.endOfText] + tokenizer.encode("after")) == "stop")
  }

  @Test func fileRoundTripsAndDamageIsCaught() throws {
    let tokenizer = BPETokenizer.train(texts: Self.corpus, vocabulary: 290)
    let data = tokenizer.serialized()
    #expect(try BPETokenizer(data: data, file: "t.bpe") == tokenizer)
    var damaged = data
    damaged[damaged.count / 2] ^= 0x01
    #expect(throws: BPEFileError.self) { try BPETokenizer(data: damaged, file: "t.bpe") }
    #expect(throws: BPEFileError.self) { try BPETokenizer(data: data.prefix(data.count - 5), file: "t.bpe") }
    #expect(throws: BPEFileError.self) { try BPETokenizer(data: Data("hello".utf8), file: "t.bpe") }
    // A merge of a later id is refused even with a matching checksum.
    var text = "workbench-bpe 1\nvocabulary 258\nmerges 1\n300 1\n"
    text += String(format: "checksum %08x\n", Checkpoint.checksum(Data(text.utf8)[...]))
    let error = #expect(throws: BPEFileError.self) { try BPETokenizer(data: Data(text.utf8), file: "t.bpe") }
    #expect(error?.description.contains("t.bpe:4:") == true)
  }
}

@Suite struct SNIScoringTests {
  static let references = """
    {"id": "task001-1", "references": ["paris"], "task_id": "task001_capital_qa", "task_category": "Question Answering", "track": "default"}
    {"id": "task001-2", "references": ["run dog", "cats"], "task_id": "task001_capital_qa", "task_category": "Question Answering", "track": "default"}
    {"id": "task001-3", "references": ["yes"], "task_id": "task001_capital_qa", "task_category": "Question Answering", "track": "default"}
    {"id": "task002-1", "references": ["a tale of two cities!", "Two cities"], "task_id": "task002_title_generation", "task_category": "Title Generation", "track": "default"}
    {"id": "task002-2", "references": ["The quick brown fox jumps", "slow fox"], "task_id": "task002_title_generation", "task_category": "Title Generation", "track": "default"}
    {"id": "task002-3", "references": ["hello world"], "task_id": "task002_title_generation", "task_category": "Title Generation", "track": "default"}
    {"id": "x-1", "references": ["bonjour"], "task_id": "task003_x", "task_category": "Translation", "track": "xlingual"}

    """
  static let predictions = """
    {"id": "task001-1", "prediction": "Paris."}
    {"id": "task001-2", "prediction": "The running dogs"}
    {"id": "task002-1", "prediction": "A Tale of  Two Cities"}
    {"id": "task002-2", "prediction": "quick brown fox"}
    {"id": "task002-3", "prediction": "Hello,world"}
    {"id": "extra-not-in-refs", "prediction": "ignored"}
    """

  /// By hand: exact match 1 (Paris.), 0, 0 (missing), 1 (punctuation and spacing), 0, 0
  /// ("Hello,world" loses its comma: "helloworld"); ROUGE-L 1, 0.8 ("the run dog" vs "run dog":
  /// P 2/3, R 1), 0, 1, 0.75 (3 of 5 tokens, P 1: 2·0.6/1.6), 1 (ROUGE's tokenizer splits at the comma).
  @Test func scoresMatchHandComputedValuesPerCategoryAndTask() throws {
    let folder = TemporaryDirectory()
    let refs = try SNIFiles.readReferences(URL(fileURLWithPath: folder.write("r.jsonl", Self.references)))
    let preds = try SNIFiles.readPredictions(URL(fileURLWithPath: folder.write("p.jsonl", Self.predictions)))
    let scores = SNIScores(references: refs, predictions: preds)
    #expect(scores.instances == 6 && scores.missing == 1 && scores.otherTracks == 1)
    #expect(scores.overall.map(\.name) == ["exact_match", "rougeL"])
    #expect(scores.overall.map(\.value) == [33.3333, 75.8333])
    #expect(
      scores.perCategory.map(\.name) == [
        "exact_match_for_question_answering", "rougeL_for_question_answering", "exact_match_for_title_generation",
        "rougeL_for_title_generation",
      ])
    #expect(scores.perCategory.map(\.value) == [33.3333, 60.0, 33.3333, 91.6667])
    #expect(scores.perTask.map(\.name)[2] == "exact_match_for_task002_title_generation")
    #expect(scores.perTask.map(\.value) == [33.3333, 60.0, 33.3333, 91.6667])
    #expect(scores.report.contains("No prediction for 1 instances. Use empty string as prediction.\n"))
    #expect(scores.report.contains("rougeL_for_title_generation: 91.6667"))
    #expect(scores.json.hasPrefix("{\n  \"exact_match_default_track\": 33.3333,\n") && scores.json.hasSuffix("\n}"))
  }

  /// Where Python and Swift strings differ: ids and category names are compared by code points
  /// (a precomposed "é" and "e" + U+0301 are two ids), and the output file escapes non-ASCII.
  @Test func idsAndGroupsCompareCodePointsAndTheOutputFileIsASCII() throws {
    let references = [
      SNIReference(id: "caf\u{E9}", references: ["yes"], taskID: "t\u{E9}", category: "Caf\u{E9} Talk"),
      SNIReference(id: "cafe\u{301}", references: ["no"], taskID: "te\u{301}", category: "Cafe\u{301} Talk"),
    ]
    let predictions = SNIPredictions([(id: "caf\u{E9}", prediction: "yes"), (id: "cafe\u{301}", prediction: "no")])
    #expect(predictions.count == 2)
    let scores = SNIScores(references: references, predictions: predictions)
    #expect(scores.instances == 2 && scores.missing == 0)
    #expect(scores.overall.map(\.value) == [100, 100])
    #expect(scores.perTask.count == 4 && scores.perCategory.count == 4)
    #expect(scores.json.contains("\"exact_match_for_caf\\u00e9_talk_default_track\""))
    #expect(scores.json.contains("\"exact_match_for_cafe\\u0301_talk_default_track\""))
  }

  @Test func whatStopsTheOfficialScriptIsAnErrorNamingTheLine() throws {
    let folder = TemporaryDirectory()
    let good = "{\"id\": \"a\", \"references\": [\"x\"], \"task_id\": \"t\", \"task_category\": \"C\"}"
    for (bytes, expected) in [
      (Data((good + "\n\n" + good + "\n").utf8), "r.jsonl:2: a blank line"),
      (
        Data([0xEF, 0xBB, 0xBF]) + Data((good + "\n").utf8),
        "r.jsonl:1: not valid JSON at column 1: the text starts with a byte-order mark"
      ),
      (Data("{\"id\": \"a\", \"references\": [\"".utf8) + Data([0xC3, 0x28]) + Data("\"]}\n".utf8), "not UTF-8"),
      (
        Data((good + "\n{\"id\": \"b\", \"references\": [\"y\"], \"task_id\": \"t\"}\n").utf8),
        "r.jsonl:2: no \"task_category\", which the first line of track default has"
      ),
      (
        Data("{\"id\": \"a\", \"references\": [\"x\"], \"task_id\": 7}".utf8),
        "r.jsonl:1: \"task_id\" must be a string, not a number"
      ),
    ] {
      try bytes.write(to: URL(fileURLWithPath: folder.path("r.jsonl")))
      let error = #expect(throws: SNIError.self) {
        try SNIFiles.readReferences(URL(fileURLWithPath: folder.path("r.jsonl")))
      }
      #expect(error?.description.contains(expected) == true, "\(error?.description ?? "")")
    }
    // A file that ends without a newline, or with one, reads the same.
    #expect(try SNIFiles.readReferences(URL(fileURLWithPath: folder.write("r.jsonl", good))).count == 1)
    #expect(try SNIFiles.readReferences(URL(fileURLWithPath: folder.write("r.jsonl", good + "\n"))).count == 1)
  }

  @Test func referenceLinesRoundTripAndBadLinesNameTheirPosition() throws {
    let r = SNIReference(id: "t-1", references: ["a \"b\"", "ü\n"], taskID: "t", category: "Cat A")
    let folder = TemporaryDirectory()
    #expect(try SNIFiles.readReferences(URL(fileURLWithPath: folder.write("r.jsonl", r.jsonLine + "\n"))) == [r])
    let line = sniPredictionLine(id: "t-1", prediction: "x\ty")
    #expect(try SNIFiles.readPredictions(URL(fileURLWithPath: folder.write("p.jsonl", line)))[id: "t-1"] == "x\ty")
    for (text, expected) in [
      (
        "{\"id\": \"a\", \"references\": [\"x\"]}\n{\"id\": \"b\", \"references\": []}",
        "r.jsonl:2: \"references\" is empty"
      ),
      ("{\"id\": \"a\", \"references\": [\"x\"]}\n{\"id\": 3", "r.jsonl:2: not valid JSON at column"),
      ("{\"references\": [\"x\"]}", "r.jsonl:1: a reference line needs an \"id\""),
    ] {
      folder.write("r.jsonl", text)
      let error = #expect(throws: SNIError.self) {
        try SNIFiles.readReferences(URL(fileURLWithPath: folder.path("r.jsonl")))
      }
      #expect(error?.description.contains(expected) == true, "\(error?.description ?? "")")
    }
  }
}

@Suite struct SNIHostileFilesTests {
  /// A file of merges of merges would ask for tokens of 2^64 bytes: refused even with a valid checksum.
  @Test func tokenizerFilesCannotAskForHugeTokens() throws {
    var text = "workbench-bpe 1\nvocabulary 297\nmerges 40\n97 97\n"
    for i in 1..<40 { text += "\(256 + i) \(256 + i)\n" }
    text += String(format: "checksum %08x\n", Checkpoint.checksum(Data(text.utf8)[...]))
    let error = #expect(throws: BPEFileError.self) { try BPETokenizer(data: Data(text.utf8), file: "t.bpe") }
    #expect(
      error?.description.contains("t.bpe:16: this merge makes a token of 8192 bytes") == true,
      "\(error?.description ?? "")")
  }

  @Test func splitFilesWithWindowsLineEndsAndOtherLanguagesInTheXlingualTrack() throws {
    let folder = TemporaryDirectory()
    writeSNIFolder(folder)
    folder.write("splits/default/train_tasks.txt", "task001_capitals\r\ntask004_sentiment\r\n")
    folder.write("splits/default/test_tasks.txt", "task002_titles\r\ntask003_spanish\r\n")
    var source = SNISource(path: folder.url.path)
    source.languages = "all"
    let data = try SNIDataset(source)
    #expect(data.train.map(\.name) == ["task001_capitals", "task004_sentiment"])
    let tracks = SNIData.references(data.test).map(\.track)
    #expect(tracks == ["default", "default", "xlingual"])
    // A different file makes a different fingerprint (so a new tokenizer and base).
    let before = data.trainingFingerprint
    folder.write(
      "tasks/task004_sentiment.json",
      try String(contentsOfFile: folder.path("tasks/task004_sentiment.json"), encoding: .utf8).replacingOccurrences(
        of: "Dull.", with: "Dreary."))
    #expect(try SNIDataset(source).trainingFingerprint != before)
  }
}

/// `tasks:` and `tokenizer:` are checked as they decode, each error at the mapping it is about.
@Suite struct TaskSourceDecodingTests {
  private func error(_ yaml: String) -> String? {
    do {
      let tree = try ConfigNode.parse(
        yaml: "model: {n_layer: 1, d_model: 16, n_head: 2}\ninstructions: 4\n" + yaml, file: "x.yaml")
      let decoding = ConfigDecoding()
      _ = try decoding.decode(InstructionTuningConfig.self, from: tree)
      try decoding.rejectUnknownKeys()
      return nil
    } catch {
      return "\(error)"
    }
  }

  @Test func sniTasksDecodeAndTheSuiteNeedsNone() throws {
    #expect(error("tasks: {source: sni, path: data/sni, split: xlingual}\n") == nil)
    #expect(error("tasks: {source: suite}\n") == nil)
  }

  @Test func aMissingFolderAStrayKeyAndAnUnknownSourceAreErrorsAtTheirMapping() throws {
    let missing = try #require(error("tasks: {source: sni}\n"))
    #expect(missing.contains("x.yaml:3:8") && missing.contains("'tasks.path': missing"), "\(missing)")
    let stray = try #require(error("tasks:\n  path: data/sni\n"))
    #expect(stray.contains("x.yaml:4:3") && stray.contains("apply to source: sni only"), "\(stray)")
    let source = try #require(error("tasks: {source: snl, path: x}\n"))
    #expect(source.contains("x.yaml:3:17") && source.contains("must be suite or sni"), "\(source)")
    let tokenizer = try #require(error("tokenizer: {vocab: 512}\n"))
    #expect(tokenizer.contains("x.yaml:3:12") && tokenizer.contains("Super-NaturalInstructions"), "\(tokenizer)")
  }
}
