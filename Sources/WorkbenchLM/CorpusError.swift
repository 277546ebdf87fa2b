import WorkbenchErrors

/// A corpus that cannot be used, naming the file and what to do.
public typealias CorpusError = CodedError<CorpusErrorCode>

/// `missing`: no such file; `unreadable`: it cannot be read or decompressed; `empty`: no text;
/// `tooSmall`: too little text for the split asked; `badSpec`: a corpus description that names none.
public enum CorpusErrorCode: String, ErrorCodes { case missing, unreadable, empty, tooSmall, badSpec }
