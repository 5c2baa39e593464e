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
    ("%link_qntrt", "-I%s -L%s -lqntrt -lpthread -lm %s"
     % (os.path.join(config.qnt_src_root, "runtime", "include"), config.qnt_lib_dir,
        config.exe_linker_flags)))
# A program that runs a whole model (qnt/model.h), as README links it: the
# compiled model calls libqntrt through the program's exported symbols.
config.substitutions.append(
    ("%link_qntmodel", "-I%s -L%s -rdynamic -lqntmodel -Wl,--whole-archive -lqntrt "
     "-Wl,--no-whole-archive -lpcre2-8 -lpthread -lm %s"
     % (os.path.join(config.qnt_src_root, "runtime", "include"), config.qnt_lib_dir,
        config.exe_linker_flags)))
config.substitutions.append(("%qnt_lib_dir", config.qnt_lib_dir))
config.substitutions.append(("%test_inputs", os.path.join(config.test_source_root, "Inputs")))

# The build .ci/sanitize makes (tools and runtime under ASan and UBSan).
if "-fsanitize" in config.exe_linker_flags:
    config.available_features.add("sanitized-build")

# The default target. Tests that check IR, assembly or a choice the compiler
# makes pin --mcpu themselves; the others (the ones that run what they
# compile) take the host's CPU, or QNT_TEST_CPU (environment, else the CMake
# option of that name), which lets the whole suite run as if on a narrower
# CPU: x86-64-v3 (AVX2) or x86-64 on a machine with AVX-512. Its code must run
# here, since those tests execute it.
import re
import subprocess

test_cpu = os.environ.get("QNT_TEST_CPU") or config.qnt_test_cpu
if test_cpu and test_cpu != "host":
    quant_compile = os.path.join(config.qnt_tools_dir, "quant-compile")
    probe = subprocess.run([quant_compile, "--print-target", "--mcpu=" + test_cpu],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        lit_config.fatal("QNT_TEST_CPU=%s: %s" % (test_cpu, probe.stderr.strip()))
    if "runs on this machine" not in probe.stdout:
        lit_config.fatal("QNT_TEST_CPU=%s: %s; the tests that run compiled code "
                         "cannot run it here" % (test_cpu, probe.stdout.strip()))
    lit_config.note("default target of quant-compile: %s" % probe.stdout.strip())
    # This run exists for the code compiled for test_cpu: the tests whose
    # outcome cannot depend on the default target (passes and dialects pin
    # their targets, the tokenizers, error paths, the tools' own behaviour)
    # say UNSUPPORTED: qnt-test-cpu and run once, in the host's run.
    config.available_features.add("qnt-test-cpu")
    # quant-compile as a command (not a file name such as quant-compile.mlir);
    # an --mcpu later on the line still wins.
    config.substitutions.insert(
        0, (r"(?<![-\w/.])quant-compile(?![-\w.])", "quant-compile --mcpu=" + test_cpu))

# The public test models of ../shared/models (beside the checkout in CI; absent
# in a user's fresh clone). Tests that read them say REQUIRES: shared-models.
shared_models = os.environ.get(
    "QNT_SHARED_MODELS",
    os.path.join(os.path.dirname(config.qnt_src_root), "shared", "models"))
if os.path.exists(os.path.join(shared_models, "stories260K.gguf")):
    config.available_features.add("shared-models")
    config.substitutions.append(("%shared_models", shared_models))
    if os.path.exists(os.path.join(shared_models, "tokenizers", "cases.jsonl")):
        config.available_features.add("shared-tokenizers")
else:
    lit_config.note(
        "%s not found: the stories260K, llama-2-tiny-random and BPE vocabulary tests are skipped "
        "(set QNT_SHARED_MODELS to run them)" % shared_models)

config.substitutions.append(("%gen_gguf", "%s %s" % (
    config.python, os.path.join(config.qnt_src_root, "test", "e2e", "gen_gguf.py"))))
