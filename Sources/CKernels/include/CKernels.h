#include "int8_gemm.h"
#include "row_kernels.h"
