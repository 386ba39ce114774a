/* dtype_info.c: prints what a compiled model's header says of each input
 * and output, one line a tensor: "<in|out> <name> <kiln_dtype_name>
 * <kiln_dtype_size> <bytes>", then "past ? 0" for the value after the last
 * dtype, for test/e2e/dtypes.test.mjs (the dtypes at a model's boundary:
 * the generated table, the runtime's names and sizes).
 * Built per model with -DKILN_MODEL=<name> -DKILN_MODEL_UPPER=<NAME>
 * -include <name>.h. */
#include <stdio.h>

#define KILN_CAT2(a, b) a##b
#define KILN_CAT(a, b) KILN_CAT2(a, b)
#define M(suffix) KILN_CAT(KILN_MODEL, suffix)

static void print(const char *kind, const kiln_tensor_info *t) {
  printf("%s %s %s %zu %zu\n", kind, t->name, kiln_dtype_name(t->dtype), kiln_dtype_size(t->dtype),
         t->bytes);
}

int main(void) {
  int i;
  for (i = 0; i < KILN_CAT(KILN_MODEL_UPPER, _INPUT_COUNT); ++i)
    print("in", &M(_inputs)[i]);
  for (i = 0; i < KILN_CAT(KILN_MODEL_UPPER, _OUTPUT_COUNT); ++i)
    print("out", &M(_outputs)[i]);
  /* One past the last kiln_dtype: no name, no size. */
  printf("past %s %zu\n", kiln_dtype_name((kiln_dtype)(KILN_DTYPE_BF16 + 1)),
         kiln_dtype_size((kiln_dtype)(KILN_DTYPE_BF16 + 1)));
  return 0;
}
