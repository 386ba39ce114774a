/* insn_count.c: a QEMU TCG plugin that counts the guest instructions a
 * program executes under qemu-user, for instruction counts of Kiln's arm64
 * code where there is no arm64 hardware to time it on (issue 19).
 *
 *   gcc -shared -fPIC -O2 insn_count.c -o libinsn_count.so
 *   qemu-aarch64 -plugin ./libinsn_count.so,out=COUNT_FILE -L /usr/aarch64-linux-gnu PROGRAM
 *
 * Writes the total as one decimal number to COUNT_FILE (stderr without
 * out=) when the program exits. Debian's qemu-user is built with plugin
 * support but ships no plugins and no qemu-plugin.h, so the few entry
 * points used are declared here (QEMU's plugin API, version 1 as in QEMU
 * 7.2). Each translated block adds its instruction count to one counter,
 * inline: exact for one thread (vCPU); with several the adds race, so run
 * models with one thread when counting.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
struct qemu_info_t;
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 = 0 };

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id,
                                           void (*cb)(qemu_plugin_id_t, struct qemu_plugin_tb *));
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb, enum qemu_plugin_op op,
                                              void *ptr, uint64_t imm);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, void (*cb)(qemu_plugin_id_t, void *),
                                    void *userdata);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

static uint64_t executed;
static char out_path[4096];

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
  (void)id;
  qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &executed,
                                           qemu_plugin_tb_n_insns(tb));
}

static void on_exit(qemu_plugin_id_t id, void *userdata) {
  (void)id;
  (void)userdata;
  FILE *f = out_path[0] ? fopen(out_path, "w") : stderr;
  if (!f) {
    fprintf(stderr, "insn_count: cannot write %s\n", out_path);
    return;
  }
  fprintf(f, "%llu\n", (unsigned long long)executed);
  if (f != stderr)
    fclose(f);
}

__attribute__((visibility("default"))) int
qemu_plugin_install(qemu_plugin_id_t id, const struct qemu_info_t *info, int argc, char **argv) {
  (void)info;
  for (int i = 0; i < argc; ++i) {
    if (strncmp(argv[i], "out=", 4) == 0 && strlen(argv[i] + 4) < sizeof out_path) {
      strcpy(out_path, argv[i] + 4);
    } else {
      fprintf(stderr, "insn_count: unknown argument '%s' (expected out=FILE)\n", argv[i]);
      return -1;
    }
  }
  qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
  qemu_plugin_register_atexit_cb(id, on_exit, NULL);
  return 0;
}
