# The lit suite: dialect, pass and tool tests (.mlir, FileCheck) and
# end-to-end tests (.test) that compile, link with the runtime and run.
import os

import lit.formats

config.name = "QNT"
config.test_format = lit.formats.ShTest(execute_external=True)
config.suffixes = [".mlir", ".test"]
config.excludes = ["Inputs", "unit", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.qnt_obj_root, "test")

# FileCheck, not and count live only in LLVM's tool directory on Debian.
config.environment["PATH"] = os.pathsep.join(
    [config.qnt_tools_dir, config.llvm_tools_dir, os.environ.get("PATH", "")])
config.environment["FILECHECK_OPTS"] = "-enable-var-scope"

config.substitutions.append(("%python", config.python))
config.substitutions.append(("%cc", config.cc))
config.substitutions.append(
    ("%link_qntrt", "-I%s -L%s -lqntrt -lpthread -ldl -lm"
     % (os.path.join(config.qnt_src_root, "runtime", "include"), config.qnt_lib_dir)))
config.substitutions.append(("%test_inputs", os.path.join(config.test_source_root, "Inputs")))

# The CPU of this machine, for tests whose code must run here.
def host_has(flag):
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return flag in line.split()
    except OSError:
        pass
    return False

if host_has("avx512_vnni") and host_has("avx512vl"):
    config.available_features.add("host-vnni")

# The public test models of ../shared/models (beside the checkout in CI; absent
# in a user's fresh clone). Tests that read them say REQUIRES: shared-models.
shared_models = os.environ.get(
    "QNT_SHARED_MODELS",
    os.path.join(os.path.dirname(config.qnt_src_root), "shared", "models"))
if os.path.exists(os.path.join(shared_models, "stories260K.gguf")):
    config.available_features.add("shared-models")
    config.substitutions.append(("%shared_models", shared_models))
else:
    lit_config.note(
        "%s not found: the stories260K and llama-2-tiny-random tests are skipped "
        "(set QNT_SHARED_MODELS to run them)" % shared_models)

config.substitutions.append(("%gen_gguf", "%s %s" % (
    config.python, os.path.join(config.qnt_src_root, "test", "e2e", "gen_gguf.py"))))
