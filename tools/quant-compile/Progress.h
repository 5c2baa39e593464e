//===- Progress.h - What quant-compile shows while it works ---*- C++ -*-===//
//
// On a terminal, one line on stderr updated in place: the step (reading the
// model, each pass of each pipeline, LLVM's optimization and codegen, the
// link) and, while the fold pass quantizes, the weights folded of the total
// and the bytes stored. Elsewhere (a log, a pipe), a plain line per step
// (reading, each pipeline, LLVM's two, the link) and the weights at every
// tenth of them. Nothing with -q.
//
// The fold pass reports each weight as a remark ("folded weight N of M, B
// bytes stored", its progress option); the handler here turns those into the
// line and lets every other diagnostic through.
//
//===----------------------------------------------------------------------===//

#ifndef QNT_TOOLS_QUANT_COMPILE_PROGRESS_H
#define QNT_TOOLS_QUANT_COMPILE_PROGRESS_H

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassInstrumentation.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

#include <cinttypes>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

namespace qnt {

class Progress {
public:
  Progress(bool quiet, bool terminal) : quiet(quiet), terminal(terminal) {}
  /// On a terminal unless stderr is redirected.
  static bool stderrIsTerminal() {
    return llvm::sys::Process::StandardErrIsDisplayed();
  }
  ~Progress() { finish(); }

  bool enabled() const { return !quiet; }

  /// A new step: a plain line of its own.
  void step(llvm::StringRef what) {
    if (quiet)
      return;
    current = what.str();
    show(current, /*plain=*/true);
  }
  /// A part of the step: on a terminal only.
  void detail(llvm::StringRef what) {
    if (quiet)
      return;
    current = what.str();
    show(current, /*plain=*/false);
  }

  /// `done` of `total` weights folded, `bytes` stored so far.
  void weights(int64_t done, int64_t total, uint64_t bytes) {
    if (quiet || total <= 0)
      return;
    std::string line;
    llvm::raw_string_ostream os(line);
    os << current << ": weight " << done << " of " << total << ", "
       << llvm::format("%.1f", double(bytes) / 1e6) << " MB";
    // Plain output: the first, every tenth, the last.
    bool plain = done == 1 || done == total || done * 10 / total != (done - 1) * 10 / total;
    show(line, plain);
  }

  /// Ends the in-place line (before other output, and at the end).
  void finish() {
    if (!quiet && terminal && width) {
      llvm::errs() << "\r\x1b[K";
      llvm::errs().flush();
      width = 0;
    }
  }

  /// Turns the fold pass's remarks into weights() and passes other
  /// diagnostics on (ending the in-place line first).
  std::unique_ptr<mlir::ScopedDiagnosticHandler> handle(mlir::MLIRContext &ctx) {
    return std::make_unique<mlir::ScopedDiagnosticHandler>(
        &ctx, [this](mlir::Diagnostic &diag) -> llvm::LogicalResult {
          int64_t done = 0, total = 0;
          uint64_t bytes = 0;
          std::string text = diag.str();
          if (diag.getSeverity() == mlir::DiagnosticSeverity::Remark &&
              std::sscanf(text.c_str(),
                          "folded weight %" SCNd64 " of %" SCNd64 ", %" SCNu64
                          " bytes stored",
                          &done, &total, &bytes) == 3) {
            weights(done, total, bytes);
            return llvm::success();
          }
          finish();
          return llvm::failure(); // the default handler prints it
        });
  }

  /// Shows a pass manager's run as a step, `label`, and each of its top-level
  /// passes as a part of it ("label: pass").
  void instrument(mlir::PassManager &pm, llvm::StringRef label) {
    if (!quiet)
      pm.addInstrumentation(std::make_unique<Steps>(*this, label.str()));
  }

private:
  struct Steps : mlir::PassInstrumentation {
    Steps(Progress &progress, std::string label)
        : progress(progress), label(std::move(label)) {}
    void runBeforePass(mlir::Pass *pass, mlir::Operation *op) override {
      if (op->getParentOp()) // passes nested per function: their module's
        return;
      if (first)
        progress.step(label);
      first = false;
      progress.detail(label + ": " + pass->getArgument().str());
    }
    Progress &progress;
    std::string label;
    bool first = true;
  };

  void show(const std::string &line, bool plain) {
    if (terminal) {
      llvm::errs() << "\r" << line << "\x1b[K";
      width = line.size();
    } else if (plain) {
      llvm::errs() << "quant-compile: " << line << "\n";
    }
    llvm::errs().flush();
  }

  bool quiet, terminal;
  std::string current;
  size_t width = 0;
};

} // namespace qnt

#endif // QNT_TOOLS_QUANT_COMPILE_PROGRESS_H
