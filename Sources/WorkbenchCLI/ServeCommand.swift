import ArgumentParser
import Foundation
import WorkbenchKit
import WorkbenchRunLog
import WorkbenchServe

struct ServeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "serve",
    abstract: "Serve a live, read-only web view of the run log: experiments, runs, curves, fits and reports.",
    discussion: """
      Opens the log read-only (runs may keep writing it) and serves pages at http://HOST:PORT/ and
      JSON under /api/ (see docs/serve.md). Pages update while runs train. Ctrl-C stops the server.
        workbench serve                     # http://127.0.0.1:8787/
        workbench serve --port 0 --open     # any free port, opened in the browser
      """)

  @Option(help: "The address to listen on. 0.0.0.0 makes the log readable by anyone who can reach this machine.")
  var host = "127.0.0.1"

  @Option(help: "The port to listen on (0: any free port).")
  var port = 8787

  @Flag(help: "Open the page in the default browser (xdg-open) once the server listens.")
  var open = false

  @OptionGroup var log: LogOptions

  func validate() throws {
    guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
  }

  func run() throws {
    let view = try LogView(path: log.path)
    if host == "0.0.0.0" || host == "::" || host == "[::]" {
      writeStandardErrorLine(
        "warning: listening on \(host): anyone who can reach this machine can read the log \(view.log.path) (read-only, no login)"
      )
    }
    let server = WorkbenchServer(view: view)
    let host = self.host
    let openBrowser = open
    let path = view.log.path
    let outcome = ServeOutcome()
    let done = DispatchSemaphore(value: 0)
    Task {
      do {
        try await server.run(host: host, port: port) { bound in
          let shown = host.contains(":") ? "[\(host)]" : host
          let url = "http://\(shown == "0.0.0.0" ? "127.0.0.1" : shown):\(bound)/"
          // Unbuffered: scripts and tests read the URL (and the port picked for --port 0) from it.
          FileHandle.standardOutput.write(Data("serving \(path) read-only at \(url)  (Ctrl-C stops)\n".utf8))
          if openBrowser { Self.openInBrowser(url) }
          // Curves are read once per run and cached: read them now, so a large sweep's first view is quick.
          Task.detached(priority: .utility) {
            do { try view.warm() } catch {
              writeStandardErrorLine("warning: could not read every curve ahead: \(error)")
            }
          }
        }
      } catch {
        outcome.set(error)
      }
      done.signal()
    }
    done.wait()
    if let error = outcome.error {
      let text = "\(error)"
      if text.contains("Address already in use") {
        throw CommandError("cannot listen on \(host):\(port): the port is in use; pass --port N (0 picks a free one)")
      }
      if text.contains("Cannot assign requested address") || text.contains("bind") {
        throw CommandError("cannot listen on \(host):\(port): \(text)")
      }
      throw CommandError("the server stopped: \(text)")
    }
    emit("stopped")
  }

  static func openInBrowser(_ url: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["xdg-open", url]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    do {
      try process.run()
    } catch {
      writeStandardErrorLine("could not open a browser (\(error.localizedDescription)); open \(url) by hand")
    }
  }
}

/// The error the server task ended with, handed back to the command's thread.
private final class ServeOutcome: @unchecked Sendable {
  private let lock = NSLock()
  private var stored: (any Error)?
  var error: (any Error)? { lock.withLock { stored } }
  func set(_ error: any Error) { lock.withLock { stored = error } }
}
