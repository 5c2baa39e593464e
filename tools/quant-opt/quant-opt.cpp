//===- quant-opt.cpp - Runs the project's passes on .mlir files -----------===//
//
// Like mlir-opt, with only the dialects and passes this project uses: the qnt
// passes, the qnt-lower-to-llvm pipeline, and the upstream passes that
// pipeline is made of, so that any stage of it can be rerun by hand.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  qnt::registerDependentDialects(registry);

  qnt::registerPassesAndPipelines();

  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "Quantizing compiler: pass driver\n", registry));
}
