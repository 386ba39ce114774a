/* host_a: the Vulkan host of route (a) (issue 21): plays Halide's device
 * runtime for one shader that gen_conv wrote (launch sizes from its
 * .launch file, one storage buffer per binding named in the GLSL), runs it
 * on the Vulkan driver that VK_ICD_FILENAMES picks, checks the output
 * against a plain C 3x3 conv, and times it the way Kiln's NAME_run works:
 * copy the input in, submit one recorded command buffer, wait, copy the
 * output out.
 *
 *   host_a SHADER.spv SHADER.comp SHADER.launch RUNS
 * Prints "max_abs_err E", then "wall_ms_median W cpu_ms_median C runs N"
 * (medians over RUNS runs after one warm-up run). Exit 1 on any error or a
 * mismatch above 1e-4 of the output's range.
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <vulkan/vulkan.h>

#include "timing.h"

enum { C = 24, W = 64, H = 64, K = 3, NB = 4 };

#define CHECK(x)                                                          \
  do {                                                                    \
    VkResult r_ = (x);                                                    \
    if (r_ != VK_SUCCESS) {                                               \
      fprintf(stderr, "host_a: %s failed: %d\n", #x, (int)r_);            \
      exit(1);                                                            \
    }                                                                     \
  } while (0)

static void *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) { perror(path); exit(1); }
  fseek(f, 0, SEEK_END);
  *len = (size_t)ftell(f);
  fseek(f, 0, SEEK_SET);
  char *p = malloc(*len + 1);
  if (fread(p, 1, *len, f) != *len) { perror(path); exit(1); }
  p[*len] = 0;
  fclose(f);
  return p;
}

int main(int argc, char **argv) {
  if (argc != 5 && argc != 6) {
    fprintf(stderr, "usage: host_a SHADER.spv SHADER.comp|- SHADER.launch RUNS [in=B,wt=B,bias=B,out=B,entry=NAME]\n");
    return 2;
  }
  int runs = atoi(argv[4]);
  size_t spv_len, glsl_len, launch_len;
  uint32_t *spv = slurp(argv[1], &spv_len);
  /* "-": a module that is not route (a)'s (Kiln's own conv), whose
   * bindings and entry point come in argv[5]. */
  char *glsl = strcmp(argv[2], "-") ? slurp(argv[2], &glsl_len) : "";
  const char *entry = "main";
  static char entry_buf[64];
  char *launch = slurp(argv[3], &launch_len);
  unsigned groups[3], local[3];
  if (sscanf(launch, "%u %u %u %u %u %u", &groups[0], &groups[1], &groups[2],
             &local[0], &local[1], &local[2]) != 6) {
    fprintf(stderr, "host_a: bad launch file\n");
    return 1;
  }
  if (strstr(glsl, " uniform ")) {
    /* Halide's loose uniforms would go into the default uniform block that
     * glslang --auto-map-bindings makes; these schedules have none. */
    fprintf(stderr, "host_a: the shader has loose uniforms; this host packs none\n");
    return 1;
  }

  /* Tensors: NHWC input, HWIO weights, bias, NHWC output. */
  const char *names[NB] = {"_in", "_wt", "_bias", "_out"};
  size_t counts[NB] = {(size_t)H * W * C, (size_t)K * K * C * C, C, (size_t)H * W * C};
  int binding_of[NB];
  for (int t = 0; t < NB; ++t) {
    binding_of[t] = -1;
    if (argc == 6) {
      char pat[16];
      snprintf(pat, sizeof pat, "%s=", names[t] + 1);
      const char *p = strstr(argv[5], pat);
      if (p) binding_of[t] = atoi(p + strlen(pat));
      if ((p = strstr(argv[5], "entry=")) && sscanf(p, "entry=%63[^,]", entry_buf) == 1) entry = entry_buf;
    }
    for (const char *p = glsl; (p = strstr(p, "layout(binding=")); ++p) {
      int b;
      char name[64];
      if (sscanf(p, "layout(binding=%d) buffer buffer%*d { float data[]; } %63[^;];", &b, name) == 2 &&
          strcmp(name, names[t]) == 0)
        binding_of[t] = b;
    }
    if (binding_of[t] < 0 || binding_of[t] >= NB) {
      fprintf(stderr, "host_a: no binding for %s in the GLSL\n", names[t]);
      return 1;
    }
  }
  float *host[NB];
  for (int t = 0; t < NB; ++t) host[t] = calloc(counts[t], sizeof(float));
  uint32_t s = 12345;
  for (int t = 0; t < 3; ++t)
    for (size_t i = 0; i < counts[t]; ++i) {
      s = s * 1664525u + 1013904223u;
      host[t][i] = (float)((s >> 8) / 16777216.0 * 2.0 - 1.0);
    }

  VkApplicationInfo app = {VK_STRUCTURE_TYPE_APPLICATION_INFO, NULL, "route_a", 1, NULL, 0, VK_API_VERSION_1_0};
  VkInstanceCreateInfo ici = {VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO, NULL, 0, &app, 0, NULL, 0, NULL};
  VkInstance inst;
  CHECK(vkCreateInstance(&ici, NULL, &inst));
  uint32_t npd = 1;
  VkPhysicalDevice pd;
  VkResult er = vkEnumeratePhysicalDevices(inst, &npd, &pd);
  if ((er != VK_SUCCESS && er != VK_INCOMPLETE) || npd == 0) {
    fprintf(stderr, "host_a: no Vulkan device\n");
    return 1;
  }
  VkPhysicalDeviceProperties props;
  vkGetPhysicalDeviceProperties(pd, &props);
  fprintf(stderr, "host_a: device %s\n", props.deviceName);
  uint32_t nq = 0;
  vkGetPhysicalDeviceQueueFamilyProperties(pd, &nq, NULL);
  VkQueueFamilyProperties qf[16];
  if (nq > 16) nq = 16;
  vkGetPhysicalDeviceQueueFamilyProperties(pd, &nq, qf);
  uint32_t qfam = 0;
  while (qfam < nq && !(qf[qfam].queueFlags & VK_QUEUE_COMPUTE_BIT)) ++qfam;
  float prio = 1.0f;
  VkDeviceQueueCreateInfo qci = {VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO, NULL, 0, qfam, 1, &prio};
  VkDeviceCreateInfo dci = {VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO, NULL, 0, 1, &qci, 0, NULL, 0, NULL, NULL};
  VkDevice dev;
  CHECK(vkCreateDevice(pd, &dci, NULL, &dev));
  VkQueue queue;
  vkGetDeviceQueue(dev, qfam, 0, &queue);

  VkPhysicalDeviceMemoryProperties mp;
  vkGetPhysicalDeviceMemoryProperties(pd, &mp);
  VkBuffer buf[NB];
  VkDeviceMemory mem[NB];
  float *mapped[NB];
  for (int t = 0; t < NB; ++t) {
    VkBufferCreateInfo bci = {VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO, NULL, 0, counts[t] * sizeof(float),
                              VK_BUFFER_USAGE_STORAGE_BUFFER_BIT, VK_SHARING_MODE_EXCLUSIVE, 0, NULL};
    CHECK(vkCreateBuffer(dev, &bci, NULL, &buf[t]));
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(dev, buf[t], &req);
    uint32_t want = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT, mt = 0;
    while (mt < mp.memoryTypeCount &&
           !((req.memoryTypeBits >> mt & 1) && (mp.memoryTypes[mt].propertyFlags & want) == want))
      ++mt;
    if (mt == mp.memoryTypeCount) { fprintf(stderr, "host_a: no host-visible memory\n"); return 1; }
    VkMemoryAllocateInfo mai = {VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO, NULL, req.size, mt};
    CHECK(vkAllocateMemory(dev, &mai, NULL, &mem[t]));
    CHECK(vkBindBufferMemory(dev, buf[t], mem[t], 0));
    CHECK(vkMapMemory(dev, mem[t], 0, VK_WHOLE_SIZE, 0, (void **)&mapped[t]));
  }
  /* Weights and bias once, as Kiln's create does. */
  memcpy(mapped[1], host[1], counts[1] * sizeof(float));
  memcpy(mapped[2], host[2], counts[2] * sizeof(float));

  VkDescriptorSetLayoutBinding lb[NB];
  for (int b = 0; b < NB; ++b)
    lb[b] = (VkDescriptorSetLayoutBinding){(uint32_t)b, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1,
                                           VK_SHADER_STAGE_COMPUTE_BIT, NULL};
  VkDescriptorSetLayoutCreateInfo dlci = {VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO, NULL, 0, NB, lb};
  VkDescriptorSetLayout dsl;
  CHECK(vkCreateDescriptorSetLayout(dev, &dlci, NULL, &dsl));
  VkPipelineLayoutCreateInfo plci = {VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO, NULL, 0, 1, &dsl, 0, NULL};
  VkPipelineLayout pl;
  CHECK(vkCreatePipelineLayout(dev, &plci, NULL, &pl));
  VkShaderModuleCreateInfo smci = {VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO, NULL, 0, spv_len, spv};
  VkShaderModule sm;
  CHECK(vkCreateShaderModule(dev, &smci, NULL, &sm));
  VkComputePipelineCreateInfo cpci = {VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO, NULL, 0,
      {VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO, NULL, 0, VK_SHADER_STAGE_COMPUTE_BIT, sm, entry, NULL},
      pl, VK_NULL_HANDLE, 0};
  VkPipeline pipe;
  CHECK(vkCreateComputePipelines(dev, VK_NULL_HANDLE, 1, &cpci, NULL, &pipe));
  VkDescriptorPoolSize ps = {VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, NB};
  VkDescriptorPoolCreateInfo dpci = {VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO, NULL, 0, 1, 1, &ps};
  VkDescriptorPool dp;
  CHECK(vkCreateDescriptorPool(dev, &dpci, NULL, &dp));
  VkDescriptorSetAllocateInfo dsai = {VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO, NULL, dp, 1, &dsl};
  VkDescriptorSet ds;
  CHECK(vkAllocateDescriptorSets(dev, &dsai, &ds));
  VkDescriptorBufferInfo dbi[NB];
  VkWriteDescriptorSet wds[NB];
  for (int t = 0; t < NB; ++t) {
    dbi[t] = (VkDescriptorBufferInfo){buf[t], 0, VK_WHOLE_SIZE};
    wds[t] = (VkWriteDescriptorSet){VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET, NULL, ds, (uint32_t)binding_of[t], 0, 1,
                                    VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, NULL, &dbi[t], NULL};
  }
  vkUpdateDescriptorSets(dev, NB, wds, 0, NULL);

  VkCommandPoolCreateInfo cpoi = {VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO, NULL, 0, qfam};
  VkCommandPool cp;
  CHECK(vkCreateCommandPool(dev, &cpoi, NULL, &cp));
  VkCommandBufferAllocateInfo cbai = {VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO, NULL, cp,
                                      VK_COMMAND_BUFFER_LEVEL_PRIMARY, 1};
  VkCommandBuffer cb;
  CHECK(vkAllocateCommandBuffers(dev, &cbai, &cb));
  VkCommandBufferBeginInfo cbbi = {VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO, NULL, 0, NULL};
  CHECK(vkBeginCommandBuffer(cb, &cbbi));
  vkCmdBindPipeline(cb, VK_PIPELINE_BIND_POINT_COMPUTE, pipe);
  vkCmdBindDescriptorSets(cb, VK_PIPELINE_BIND_POINT_COMPUTE, pl, 0, 1, &ds, 0, NULL);
  vkCmdDispatch(cb, groups[0], groups[1], groups[2]);
  VkMemoryBarrier mb = {VK_STRUCTURE_TYPE_MEMORY_BARRIER, NULL, VK_ACCESS_SHADER_WRITE_BIT, VK_ACCESS_HOST_READ_BIT};
  vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &mb, 0, NULL, 0, NULL);
  CHECK(vkEndCommandBuffer(cb));
  VkFenceCreateInfo fci = {VK_STRUCTURE_TYPE_FENCE_CREATE_INFO, NULL, 0};
  VkFence fence;
  CHECK(vkCreateFence(dev, &fci, NULL, &fence));
  VkSubmitInfo si = {VK_STRUCTURE_TYPE_SUBMIT_INFO, NULL, 0, NULL, NULL, 1, &cb, 0, NULL};

  float *result = calloc(counts[3], sizeof(float));
  double *wall = calloc(runs + 1, sizeof(double)), *cpu = calloc(runs + 1, sizeof(double));
  for (int i = 0; i <= runs; ++i) { /* run 0: warm-up (lavapipe compiles lazily) */
    double w0 = now_ms(CLOCK_MONOTONIC), c0 = now_ms(CLOCK_PROCESS_CPUTIME_ID);
    memcpy(mapped[0], host[0], counts[0] * sizeof(float));
    CHECK(vkQueueSubmit(queue, 1, &si, fence));
    CHECK(vkWaitForFences(dev, 1, &fence, VK_TRUE, UINT64_MAX));
    CHECK(vkResetFences(dev, 1, &fence));
    memcpy(result, mapped[3], counts[3] * sizeof(float));
    wall[i] = now_ms(CLOCK_MONOTONIC) - w0;
    cpu[i] = now_ms(CLOCK_PROCESS_CPUTIME_ID) - c0;
    if (i == 0) fprintf(stderr, "host_a: first run %.1f ms wall\n", wall[0]);
  }

  /* Plain C reference: NHWC, HWIO, pads 1. */
  float *in = host[0], *wt = host[1], *bias = host[2];
  double maxerr = 0, lo = 1e30, hi = -1e30;
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x)
      for (int co = 0; co < C; ++co) {
        double acc = bias[co];
        for (int ky = 0; ky < K; ++ky)
          for (int kx = 0; kx < K; ++kx) {
            int yy = y + ky - 1, xx = x + kx - 1;
            if (yy < 0 || yy >= H || xx < 0 || xx >= W) continue;
            for (int ci = 0; ci < C; ++ci)
              acc += (double)in[((size_t)yy * W + xx) * C + ci] * wt[((ky * K + kx) * C + ci) * C + co];
          }
        double got = result[((size_t)y * W + x) * C + co];
        if (fabs(got - acc) > maxerr || isnan(got)) maxerr = isnan(got) ? INFINITY : fabs(got - acc);
        if (acc < lo) lo = acc;
        if (acc > hi) hi = acc;
      }
  printf("max_abs_err %.3g range %.3g\n", maxerr, hi - lo);
  print_medians(wall, cpu, runs);
  vkDeviceWaitIdle(dev);
  vkDestroyDevice(dev, NULL);
  vkDestroyInstance(inst, NULL);
  return maxerr <= 1e-4 * (hi - lo) ? 0 : 1;
}
