//===- ApplyCalibration.cpp - Calibration outcomes onto the linears -------===//
//
// Sets act_scales and act_asymmetric on the qnt.linears a calibration plan
// names (see CalibrationPlan), from the plan quant-compile hands the pass or
// from a JSON file.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialects/qnt/QntOps.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

namespace qnt {
#define GEN_PASS_DEF_APPLYCALIBRATIONPASS
#include "passes/Passes.h.inc"
} // namespace qnt

using namespace mlir;
using namespace qnt;

namespace {

/// Reads a plan file, with a diagnostic at `loc` if it cannot.
LogicalResult readPlan(Location loc, StringRef path, CalibrationPlan &plan) {
  std::string error;
  if (!readCalibrationPlan(path, plan, error))
    return emitError(loc) << error;
  return success();
}

struct ApplyCalibrationPass
    : public qnt::impl::ApplyCalibrationPassBase<ApplyCalibrationPass> {
  using ApplyCalibrationPassBase::ApplyCalibrationPassBase;
  ApplyCalibrationPass(CalibrationPlan plan) : plan(std::move(plan)) {}

  void runOnOperation() override {
    ModuleOp module = getOperation();
    CalibrationPlan fromFile;
    if (!planFile.empty() &&
        failed(readPlan(module.getLoc(), planFile, fromFile)))
      return signalPassFailure();
    const CalibrationPlan &applied = planFile.empty() ? plan : fromFile;

    std::set<std::string> named;
    Type f32 = Float32Type::get(&getContext());
    module.walk([&](LinearOp op) {
      auto loc = dyn_cast<NameLoc>(op.getLoc());
      if (!loc)
        return;
      std::string name = loc.getName().str();
      if (auto it = applied.actScales.find(name); it != applied.actScales.end()) {
        auto type = RankedTensorType::get({1, int64_t(it->second.size())}, f32);
        op.setActScalesAttr(DenseElementsAttr::get(type, ArrayRef<float>(it->second)));
        named.insert(name);
      }
      if (applied.asymmetric.count(name)) {
        op.setActAsymmetric(true);
        named.insert(name);
      }
    });
    // Every name of the plan must have found its linear.
    auto check = [&](const std::string &name) {
      if (named.count(name))
        return true;
      emitError(module.getLoc()) << "the calibration plan names '" << name
                                 << "', which no qnt.linear is named";
      return false;
    };
    for (const auto &entry : applied.actScales)
      if (!check(entry.first))
        return signalPassFailure();
    for (const std::string &name : applied.asymmetric)
      if (!check(name))
        return signalPassFailure();
  }

  CalibrationPlan plan;
};

} // namespace

std::unique_ptr<Pass> qnt::createApplyCalibrationPass(CalibrationPlan plan) {
  return std::make_unique<ApplyCalibrationPass>(std::move(plan));
}

bool qnt::parseCalibrationPlan(StringRef text, CalibrationPlan &plan,
                               std::string &error) {
  llvm::Expected<llvm::json::Value> json = llvm::json::parse(text);
  if (!json) {
    error = llvm::toString(json.takeError());
    return false;
  }
  const llvm::json::Object *root = json->getAsObject();
  const llvm::json::Object *linears = root ? root->getObject("linears") : nullptr;
  if (!linears) {
    error = "expected an object with a \"linears\" object";
    return false;
  }
  for (const auto &[key, entry] : *linears) {
    std::string name = key.str();
    const llvm::json::Object *fields = entry.getAsObject();
    if (!fields) {
      error = "linear '" + name + "' is not an object";
      return false;
    }
    for (const auto &[field, value] : *fields) {
      if (field == "act_scales") {
        const llvm::json::Array *scales = value.getAsArray();
        std::vector<float> out;
        for (const llvm::json::Value &x : scales ? *scales : llvm::json::Array()) {
          std::optional<double> number = x.getAsNumber();
          if (!number)
            break;
          out.push_back(float(*number));
        }
        if (!scales || scales->empty() || out.size() != scales->size()) {
          error = "'" + name + "' act_scales must be a non-empty array of numbers";
          return false;
        }
        plan.actScales[name] = std::move(out);
      } else if (field == "asymmetric") {
        std::optional<bool> flag = value.getAsBoolean();
        if (!flag) {
          error = "'" + name + "' asymmetric must be true or false";
          return false;
        }
        if (*flag)
          plan.asymmetric.insert(name);
      } else {
        error = "'" + name + "' has an unknown field '" + field.str() +
                "' (act_scales, asymmetric)";
        return false;
      }
    }
  }
  return true;
}

bool qnt::readCalibrationPlan(StringRef path, CalibrationPlan &plan,
                              std::string &error) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buffer) {
    error = "cannot read the calibration plan " + path.str() + ": " +
            buffer.getError().message();
    return false;
  }
  if (!parseCalibrationPlan((*buffer)->getBuffer(), plan, error)) {
    error = "calibration plan " + path.str() + ": " + error;
    return false;
  }
  return true;
}

void qnt::printCalibrationPlan(const CalibrationPlan &plan,
                               llvm::raw_ostream &os) {
  llvm::json::Object linears;
  auto entry = [&](const std::string &name) -> llvm::json::Object & {
    if (!linears.getObject(name))
      linears[name] = llvm::json::Object();
    return *linears.getObject(name);
  };
  for (const auto &[name, scales] : plan.actScales)
    entry(name)["act_scales"] =
        llvm::json::Array(std::vector<double>(scales.begin(), scales.end()));
  for (const std::string &name : plan.asymmetric)
    entry(name)["asymmetric"] = true;
  os << llvm::formatv("{0:2}", llvm::json::Value(llvm::json::Object{
                                   {"linears", std::move(linears)}}))
     << "\n";
}
