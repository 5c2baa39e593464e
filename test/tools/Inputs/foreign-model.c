/* A shared library that looks like a compiled model of another ABI. */
#include <stdint.h>
const int32_t qnt_model_abi_version = 999;
const uint64_t qnt_model_id = 0;
