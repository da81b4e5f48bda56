/* vkrope's C API (C99): RoPE and attention on any Vulkan 1.1 device, for languages and
 * engines that bind C. A thin layer over the C++ API (the vkrope/<name>.hpp headers): the
 * same objects, rules and error messages; the README's sections on each op apply unchanged.
 *
 * ---- Rules every function follows ---------------------------------------------------
 *
 * Status. Every function that can fail returns a vkrope_status: VKROPE_OK (0) or the kind
 * of the failure (mirroring vkrope::ErrorKind). The calling thread's last status, its
 * message and the VkResult behind it (when Vulkan failed) stay readable through
 * vkrope_last_error_*() until the thread's next call that returns a status; a call that
 * succeeds resets them to VKROPE_OK and "". No C++ exception ever leaves a vkrope_*
 * function: a failure inside is a status (an unexpected one VKROPE_ERROR_INTERNAL).
 *
 * Pointers. A NULL where an object or an output is required is VKROPE_ERROR_INVALID_ARGUMENT
 * naming the parameter (never a crash). Arguments marked "nullable" may be NULL. On failure
 * an output handle is set to NULL and other outputs are left as they were. An enum argument
 * outside its values is VKROPE_ERROR_INVALID_ARGUMENT.
 *
 * Handles. Opaque; each has its create and destroy; destroying NULL does nothing. Handles
 * may be destroyed in any order: a tensor, batch or KV cache keeps its context's device
 * alive, a view keeps its buffer alive, and a batch keeps the buffers recorded into it. A
 * batch whose work is in flight (submit_async) waits for it when destroyed. Threads as in
 * the C++ API: a context may be shared by threads; a batch, tensor, rope config or KV cache
 * is used by one thread at a time.
 *
 * Structs that may grow (ABI). Every options / config / info struct begins with
 * `uint32_t struct_size`, which the caller sets to sizeof(the struct) as its header knows
 * it; vkrope_<struct>_init() sets it and every default. Fields are only ever added at the
 * end, and a field added later has 0 as its "as before" value. So a program built against
 * an older header keeps working with a newer library (the fields past its struct_size take
 * their defaults); a struct_size smaller than the struct's first version is
 * VKROPE_ERROR_INVALID_ARGUMENT; one larger than this library knows (a newer header) is
 * accepted when every byte past what it knows is zero, and is VKROPE_ERROR_UNSUPPORTED
 * otherwise (a newer option this library cannot honour is never dropped silently). An
 * output struct's struct_size must cover what the library writes. Enum and flag values
 * are never renumbered; functions are only added, never changed. Every enum ends with a
 * _MAX_ENUM = 0x7FFFFFFF (as Vulkan's do), so it is 32 bits wide and any non-negative int a
 * caller passes is a value of its type (checked, never undefined behaviour in the library).
 *
 * Strings returned as const char* are owned by vkrope: the version strings live for the
 * program; vkrope_last_error_message() and the per-call strings (validation messages,
 * profile labels) until the thread's next vkrope call. Strings passed in are copied; they
 * need to live only for the call.
 *
 * Linking. Only vkrope_* symbols are exported; VKROPE_C_API marks them. The library is C++
 * inside: a C program linking the static library also links the C++ runtime (link with a
 * C++ compiler, or add -lstdc++ -lm); the shared library brings its own. */
#ifndef VKROPE_VKROPE_H
#define VKROPE_VKROPE_H

#include <stddef.h>
#include <stdint.h>

/* For the interop functions' handle types (VkInstance, VkBuffer, VkCommandBuffer...): the
 * same header vulkan_interop.hpp uses, so a program may include both. */
#include <vulkan/vulkan_core.h>

#if defined(__GNUC__) || defined(__clang__)
#define VKROPE_C_API __attribute__((visibility("default")))
#else
#define VKROPE_C_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Status, errors, version -------------------------------------------------------- */

typedef enum vkrope_status {
  VKROPE_OK = 0,
  VKROPE_ERROR_INVALID_ARGUMENT = 1, /* the caller passed something wrong: a shape, a value, a file's content */
  VKROPE_ERROR_UNSUPPORTED = 2,      /* valid, but this device or installation cannot do it */
  VKROPE_ERROR_OUT_OF_MEMORY = 3,    /* a device or host allocation failed */
  VKROPE_ERROR_DEVICE_LOST = 4,      /* the device must be recreated */
  VKROPE_ERROR_MISMATCH = 5,         /* checked mode: the GPU output differs from the CPU reference */
  VKROPE_ERROR_IO = 6,               /* a file could not be read or written */
  VKROPE_ERROR_INTERNAL = 7,         /* an unexpected failure: a bug in vkrope or the driver */
  VKROPE_STATUS_MAX_ENUM = 0x7FFFFFFF
} vkrope_status;

/* "ok", "invalid argument", "unsupported", ...; "unknown status" for other values. */
VKROPE_C_API const char* vkrope_status_name(vkrope_status status);
/* The calling thread's last status (VKROPE_OK after a success). */
VKROPE_C_API vkrope_status vkrope_last_error_kind(void);
/* What went wrong and what was expected, prefixed by the function's name; "" after a success. */
VKROPE_C_API const char* vkrope_last_error_message(void);
/* The VkResult of the Vulkan call that failed, 0 when the failure was not Vulkan's. */
VKROPE_C_API int32_t vkrope_last_error_vk_result(void);

VKROPE_C_API const char* vkrope_version(void);      /* "0.1.0" */
VKROPE_C_API const char* vkrope_git_revision(void); /* "unknown" outside a checkout */

/* ---- Devices and contexts ------------------------------------------------------------ */

typedef struct vkrope_context vkrope_context;

typedef enum vkrope_device_type {
  VKROPE_DEVICE_OTHER = 0,
  VKROPE_DEVICE_INTEGRATED_GPU = 1,
  VKROPE_DEVICE_DISCRETE_GPU = 2,
  VKROPE_DEVICE_VIRTUAL_GPU = 3,
  VKROPE_DEVICE_CPU = 4,
  VKROPE_DEVICE_TYPE_MAX_ENUM = 0x7FFFFFFF
} vkrope_device_type;

/* Emulation flags (vkrope::Emulation), combined with |. */
#define VKROPE_EMULATE_NONE 0u
#define VKROPE_EMULATE_BASELINE 1u /* portable kernel paths: no 16-bit storage, fp16, fp64, ... */
#define VKROPE_EMULATE_DISCRETE 2u /* a discrete GPU's memory: staging uploads and downloads */

/* Called for every validation message or warning, from whichever thread caused it. */
typedef void (*vkrope_message_callback)(const char* message, void* user_data);

typedef struct vkrope_context_options {
  uint32_t struct_size;
  /* Nonzero (the default, as the C++ Context::create()): start from the VKROPE_* environment
   * variables (VKROPE_DEVICE, VKROPE_VALIDATION, ...; a malformed value is INVALID_ARGUMENT),
   * then apply every field below that differs from its default. 0: the environment is not read. */
  int32_t use_environment;
  /* Device index ("1") or case-insensitive name substring ("swiftshader"); NULL or "": the
   * best by rank. Ignored by vkrope_context_adopt. */
  const char* device;
  /* Khronos validation layer on, messages kept (vkrope_context_validation_message*).
   * Default 0. UNSUPPORTED when the layer is not installed. Ignored by adopt. */
  int32_t validation;
  uint32_t emulation;             /* VKROPE_EMULATE_* flags. Default none. */
  int32_t checked;                /* self-submitting ops also run the CPU reference (MISMATCH). Default 0. */
  const char* pipeline_cache_dir; /* persist the VkPipelineCache there; NULL or "": memory only */
  /* Lower limits than the device's, for tests of a smaller device; 0 keeps the device's. */
  uint32_t max_workgroup_count;
  uint32_t max_storage_buffer_range;
  uint64_t device_memory;
  vkrope_message_callback on_validation_message; /* nullable */
  vkrope_message_callback on_warning;            /* nullable */
  void* user_data;                               /* passed to both callbacks */
} vkrope_context_options;

VKROPE_C_API void vkrope_context_options_init(vkrope_context_options* options);

/* What vkrope knows of a device (vkrope::DeviceInfo; a context's are after emulation). */
typedef struct vkrope_device_info {
  uint32_t struct_size;
  uint32_t index; /* position in the loader's enumeration */
  char name[256];
  char driver_name[256]; /* "" without VK_KHR_driver_properties */
  uint32_t vendor_id;
  uint32_t device_id;
  vkrope_device_type type;
  uint32_t api_version; /* VK_MAKE_API_VERSION encoding */
  uint32_t driver_version;
  uint8_t device_uuid[16];
  int32_t has_compute_queue;
  uint32_t subgroup_size;
  uint32_t min_subgroup_size;
  uint32_t max_subgroup_size;
  uint32_t subgroup_operations; /* VkSubgroupFeatureFlagBits */
  int32_t storage_16bit;
  int32_t float16;
  int32_t float64;
  int32_t unified_memory;
  int32_t timeline_semaphore;
  int32_t timestamps;
  uint32_t shared_memory_bytes;
  uint32_t max_workgroup_invocations;
  uint32_t max_workgroup_count[3];
  uint32_t max_storage_buffer_range;
  uint64_t device_local_bytes;
  uint32_t emulation; /* VKROPE_EMULATE_* in effect */
} vkrope_device_info;

VKROPE_C_API void vkrope_device_info_init(vkrope_device_info* info);

/* Every device the loader reports (validation: with the layer on while enumerating).
 * infos NULL: *count := how many. Else infos is an array of *count structs whose first
 * has struct_size set (that is the array's stride); min(*count, devices) are filled and
 * *count := how many were. */
VKROPE_C_API vkrope_status vkrope_enumerate_devices(int32_t validation, vkrope_device_info* infos, uint32_t* count);

/* A context on the device options->device selects (options nullable: defaults). */
VKROPE_C_API vkrope_status vkrope_context_create(const vkrope_context_options* options, vkrope_context** out);
VKROPE_C_API void vkrope_context_destroy(vkrope_context* context);

/* The application's Vulkan objects (vkrope::interop::AdoptedDevice). vkrope never destroys
 * them; they must outlive the context and everything made from it. The C++ API's
 * queue_mutex (a std::mutex*) has no C form: an application that submits to `queue` from
 * other threads must not do so while a vkrope call that submits is running. */
typedef struct vkrope_adopted_device {
  uint32_t struct_size;
  VkInstance instance;
  VkPhysicalDevice physical_device;
  VkDevice device;
  VkQueue queue; /* must support compute */
  uint32_t queue_family_index;
  uint32_t instance_api_version;                   /* >= VK_API_VERSION_1_1 (the default) */
  PFN_vkGetInstanceProcAddr get_instance_proc_addr; /* nullable: the system loader */
  /* The optional features the application enabled on `device`; vkrope uses only these. */
  int32_t storage_16bit_enabled;
  int32_t float16_enabled;
  int32_t float64_enabled;
  int32_t timeline_semaphore_enabled;
} vkrope_adopted_device;

VKROPE_C_API void vkrope_adopted_device_init(vkrope_adopted_device* adopted);

/* A context over the application's device (options nullable; its device and validation
 * are ignored; emulation, limits and the pipeline cache apply). */
VKROPE_C_API vkrope_status vkrope_context_adopt(const vkrope_adopted_device* adopted,
                                                const vkrope_context_options* options, vkrope_context** out);

/* The context's effective capabilities (after emulation), or with `hardware` nonzero what
 * the hardware reports. */
VKROPE_C_API vkrope_status vkrope_context_device_info(const vkrope_context* context, int32_t hardware,
                                                      vkrope_device_info* info);

/* Validation-layer messages since creation or the last clear. */
VKROPE_C_API vkrope_status vkrope_context_validation_message_count(const vkrope_context* context, size_t* count);
/* Message `index` (< count); valid until the next vkrope call on this thread. */
VKROPE_C_API vkrope_status vkrope_context_validation_message(const vkrope_context* context, size_t index,
                                                             const char** message);
VKROPE_C_API vkrope_status vkrope_context_clear_validation_messages(vkrope_context* context);
/* Device memory held by the context's buffers now, and the most at once (both nullable). */
VKROPE_C_API vkrope_status vkrope_context_memory(const vkrope_context* context, uint64_t* live_bytes,
                                                 uint64_t* peak_bytes);
/* Pipelines built (cache misses) and lookups served from the context's table (both nullable). */
VKROPE_C_API vkrope_status vkrope_context_pipeline_stats(const vkrope_context* context, uint64_t* created,
                                                         uint64_t* reused);
/* Waits until the device has finished all submitted work. */
VKROPE_C_API vkrope_status vkrope_context_wait_idle(vkrope_context* context);

/* The Vulkan objects behind a context, for applications that share them. */
typedef struct vkrope_vulkan_handles {
  uint32_t struct_size;
  VkInstance instance;
  VkPhysicalDevice physical_device;
  VkDevice device;
  VkQueue queue;
  uint32_t queue_family_index;
  /* Signalled with a rising value by every submission (VK_NULL_HANDLE without timeline
   * semaphores); see vkrope_batch_timeline_value. */
  VkSemaphore timeline_semaphore;
} vkrope_vulkan_handles;

VKROPE_C_API void vkrope_vulkan_handles_init(vkrope_vulkan_handles* handles);
VKROPE_C_API vkrope_status vkrope_context_vulkan_handles(const vkrope_context* context,
                                                         vkrope_vulkan_handles* handles);

/* ---- Tensors --------------------------------------------------------------------------- */

typedef struct vkrope_tensor vkrope_tensor;

/* Storage types (vkrope::DType); arithmetic is float32 whatever the storage. f16 and bf16
 * are raw 16-bit patterns on the host; q8_0 and q4_0 are ggml's 32-value blocks (34 and 18
 * bytes), a tensor of them has its last dimension in blocks. */
typedef enum vkrope_dtype {
  VKROPE_DTYPE_F32 = 0,
  VKROPE_DTYPE_F16 = 1,
  VKROPE_DTYPE_BF16 = 2,
  VKROPE_DTYPE_Q8_0 = 3,
  VKROPE_DTYPE_Q4_0 = 4,
  VKROPE_DTYPE_MAX_ENUM = 0x7FFFFFFF
} vkrope_dtype;

#define VKROPE_MAX_RANK 4

/* A new contiguous tensor of `rank` (1..4) dimensions, outermost first; contents undefined.
 * INVALID_ARGUMENT for a bad rank, a dimension <= 0, or more bytes than the device's
 * maxStorageBufferRange; OUT_OF_MEMORY when the allocation fails. */
VKROPE_C_API vkrope_status vkrope_tensor_create(vkrope_context* context, vkrope_dtype dtype, const int64_t* shape,
                                                uint32_t rank, vkrope_tensor** out);
/* Same, holding `count` (= the element count) row-major values converted to dtype. */
VKROPE_C_API vkrope_status vkrope_tensor_from_floats(vkrope_context* context, vkrope_dtype dtype,
                                                     const int64_t* shape, uint32_t rank, const float* values,
                                                     size_t count, vkrope_tensor** out);
/* A view of the same memory: another shape and element strides (both `rank` long),
 * starting `offset` elements in. INVALID_ARGUMENT if it addresses anything outside the buffer. */
VKROPE_C_API vkrope_status vkrope_tensor_view(const vkrope_tensor* tensor, const int64_t* shape,
                                              const int64_t* strides, uint32_t rank, int64_t offset,
                                              vkrope_tensor** out);
/* A tensor over [offset, offset + range) of the application's VkBuffer (STORAGE_BUFFER
 * usage; TRANSFER_SRC/DST for upload and download), which must outlive it. */
VKROPE_C_API vkrope_status vkrope_tensor_wrap_buffer(vkrope_context* context, VkBuffer buffer, VkDeviceSize offset,
                                                     VkDeviceSize range, vkrope_dtype dtype, const int64_t* shape,
                                                     uint32_t rank, vkrope_tensor** out);
VKROPE_C_API void vkrope_tensor_destroy(vkrope_tensor* tensor);

/* Host -> device: `count` (= the view's element count) values in the view's row-major order. */
VKROPE_C_API vkrope_status vkrope_tensor_upload(vkrope_tensor* tensor, const float* values, size_t count);
/* Raw storage (f32 values, f16 / bf16 bits, blocks): exactly vkrope_tensor_raw_bytes() bytes. */
VKROPE_C_API vkrope_status vkrope_tensor_upload_raw(vkrope_tensor* tensor, const void* data, size_t bytes);
/* Device -> host, converted to float; `count` must be the element count. */
VKROPE_C_API vkrope_status vkrope_tensor_download(const vkrope_tensor* tensor, float* values, size_t count);
VKROPE_C_API vkrope_status vkrope_tensor_download_raw(const vkrope_tensor* tensor, void* data, size_t bytes);
/* Every byte of the view's span set to `value` (0xFF poisons f32 and f16 with NaNs). */
VKROPE_C_API vkrope_status vkrope_tensor_fill_bytes(vkrope_tensor* tensor, uint8_t value);

/* Shape and element strides (each nullable; VKROPE_MAX_RANK long), rank (nullable) and
 * the element offset of the view (nullable). */
VKROPE_C_API vkrope_status vkrope_tensor_shape(const vkrope_tensor* tensor, int64_t* shape, int64_t* strides,
                                               uint32_t* rank, int64_t* offset);
VKROPE_C_API vkrope_status vkrope_tensor_dtype(const vkrope_tensor* tensor, vkrope_dtype* dtype);
/* Elements of the view, and the bytes upload_raw / download_raw take. */
VKROPE_C_API vkrope_status vkrope_tensor_numel(const vkrope_tensor* tensor, int64_t* numel);
VKROPE_C_API vkrope_status vkrope_tensor_raw_bytes(const vkrope_tensor* tensor, size_t* bytes);
/* The VkBuffer behind the tensor and the byte offset of the view's element 0. */
VKROPE_C_API vkrope_status vkrope_tensor_vk_buffer(const vkrope_tensor* tensor, VkBuffer* buffer,
                                                   VkDeviceSize* offset);

/* ---- Batches ----------------------------------------------------------------------------- */

/* Ops record into a batch, which submits them once (vkrope::Batch). Every op also takes a
 * NULL batch, and then submits by itself and waits. */
typedef struct vkrope_batch vkrope_batch;

typedef struct vkrope_batch_options {
  uint32_t struct_size;
  int32_t profile; /* timestamps around each dispatch (vkrope_batch_profile). Default 0. */
} vkrope_batch_options;

VKROPE_C_API void vkrope_batch_options_init(vkrope_batch_options* options);
/* options nullable: defaults. */
VKROPE_C_API vkrope_status vkrope_batch_create(vkrope_context* context, const vkrope_batch_options* options,
                                               vkrope_batch** out);
/* A batch whose ops record into the application's `command_buffer` (recording, from a pool
 * of the context's queue family). The application submits it and synchronizes it with its
 * own work; keep the batch until the command buffer has finished executing.
 * vkrope_batch_submit on it is INVALID_ARGUMENT. */
VKROPE_C_API vkrope_status vkrope_batch_record_into(vkrope_context* context, VkCommandBuffer command_buffer,
                                                    vkrope_batch** out);
/* Waits for the batch's work in flight, if any. */
VKROPE_C_API void vkrope_batch_destroy(vkrope_batch* batch);

/* Submits what was recorded and waits; the batch is then reused. */
VKROPE_C_API vkrope_status vkrope_batch_submit(vkrope_batch* batch);
/* Submits and returns at once; later submissions on the context run after it. */
VKROPE_C_API vkrope_status vkrope_batch_submit_async(vkrope_batch* batch);
/* Whether the last submit_async has finished (never blocks); waits for it. */
VKROPE_C_API vkrope_status vkrope_batch_ready(vkrope_batch* batch, int32_t* ready);
VKROPE_C_API vkrope_status vkrope_batch_wait(vkrope_batch* batch);
/* The value the last submit_async signals on the context's timeline semaphore (0 without). */
VKROPE_C_API vkrope_status vkrope_batch_timeline_value(const vkrope_batch* batch, uint64_t* value);
/* Dispatches and barriers recorded since the last submit. */
VKROPE_C_API vkrope_status vkrope_batch_counts(const vkrope_batch* batch, size_t* dispatches, size_t* barriers);
/* Profiled dispatches of the last submission (waits for it): how many, and each one's
 * label (valid until the next vkrope call on this thread) and device milliseconds. */
VKROPE_C_API vkrope_status vkrope_batch_profile_count(vkrope_batch* batch, size_t* count);
VKROPE_C_API vkrope_status vkrope_batch_profile_entry(vkrope_batch* batch, size_t index, const char** label,
                                                      double* milliseconds);

/* ---- RoPE ------------------------------------------------------------------------------- */

/* A RoPE configuration (vkrope::RopeConfig): scalar fields through vkrope_rope_params,
 * tables through the array functions. */
typedef struct vkrope_rope_config vkrope_rope_config;

typedef enum vkrope_rope_layout {
  VKROPE_ROPE_NEOX = 0,
  VKROPE_ROPE_INTERLEAVED = 1,
  VKROPE_ROPE_LAYOUT_MAX_ENUM = 0x7FFFFFFF
} vkrope_rope_layout;

typedef enum vkrope_rope_scaling_type {
  VKROPE_ROPE_SCALING_DEFAULT = 0,
  VKROPE_ROPE_SCALING_LINEAR = 1,
  VKROPE_ROPE_SCALING_DYNAMIC = 2,
  VKROPE_ROPE_SCALING_YARN = 3,
  VKROPE_ROPE_SCALING_LLAMA3 = 4,
  VKROPE_ROPE_SCALING_LONGROPE = 5,
  VKROPE_ROPE_SCALING_MAX_ENUM = 0x7FFFFFFF
} vkrope_rope_scaling_type;

typedef enum vkrope_rope_vision {
  VKROPE_ROPE_VISION_NONE = 0,
  VKROPE_ROPE_VISION_QWEN2VL = 1,
  VKROPE_ROPE_VISION_PIXTRAL = 2,
  VKROPE_ROPE_VISION_MAX_ENUM = 0x7FFFFFFF
} vkrope_rope_vision;

/* Which model of a config.json to read (vkrope::HfConfigPart). */
typedef enum vkrope_hf_part {
  VKROPE_HF_TEXT = 0,
  VKROPE_HF_TEXT_LOCAL = 1,
  VKROPE_HF_VISION = 2,
  VKROPE_HF_PART_MAX_ENUM = 0x7FFFFFFF
} vkrope_hf_part;

/* The scalar fields of RopeConfig and its RopeScaling; rope.hpp documents each. An
 * optional C++ field has a has_ flag beside it (0: transformers' default). */
typedef struct vkrope_rope_params {
  uint32_t struct_size;
  int64_t head_dim;
  int64_t rotary_dim; /* 0: head_dim */
  vkrope_rope_layout layout;
  double theta;
  int64_t max_position_embeddings; /* 0: unset */
  vkrope_rope_scaling_type scaling_type;
  double factor;
  int32_t has_original_max_position_embeddings;
  int64_t original_max_position_embeddings;
  double beta_fast;
  double beta_slow;
  int32_t has_mscale;
  double mscale;
  int32_t has_mscale_all_dim;
  double mscale_all_dim;
  int32_t truncate;
  int32_t has_attention_factor;
  double attention_factor;
  double low_freq_factor;
  double high_freq_factor;
  int32_t mrope_interleaved; /* with vkrope_rope_config_set_mrope_section */
  vkrope_rope_vision vision;
} vkrope_rope_params;

/* RopeConfig's defaults: head_dim 0, neox, theta 10000, no scaling. */
VKROPE_C_API void vkrope_rope_params_init(vkrope_rope_params* params);

/* A config from its fields (params nullable: the defaults, head_dim still to set). Not
 * validated until used, or vkrope_rope_config_validate. */
VKROPE_C_API vkrope_status vkrope_rope_config_create(const vkrope_rope_params* params, vkrope_rope_config** out);
/* From a Hugging Face config.json file (IO when unreadable, INVALID_ARGUMENT when
 * malformed), or its text. Validated. */
VKROPE_C_API vkrope_status vkrope_rope_config_from_hf_file(const char* path, vkrope_hf_part part,
                                                           vkrope_rope_config** out);
VKROPE_C_API vkrope_status vkrope_rope_config_from_hf_json(const char* json_text, vkrope_hf_part part,
                                                           vkrope_rope_config** out);

/* What vkrope reads of a GGUF model beside its RoPE (vkrope::GgufModel). */
typedef struct vkrope_gguf_info {
  uint32_t struct_size;
  char architecture[64]; /* general.architecture, truncated to fit */
  int64_t heads;
  int64_t kv_heads;
  int64_t head_dim;
  int64_t context_length; /* 0: absent */
  int64_t sliding_window; /* 0: none */
} vkrope_gguf_info;

VKROPE_C_API void vkrope_gguf_info_init(vkrope_gguf_info* info);
/* From a GGUF (v2/v3) model file's metadata (info nullable). IO when unreadable,
 * INVALID_ARGUMENT when not GGUF or lacking what RoPE needs. */
VKROPE_C_API vkrope_status vkrope_rope_config_from_gguf(const char* path, vkrope_gguf_info* info,
                                                        vkrope_rope_config** out);
VKROPE_C_API void vkrope_rope_config_destroy(vkrope_rope_config* config);

VKROPE_C_API vkrope_status vkrope_rope_config_get_params(const vkrope_rope_config* config,
                                                         vkrope_rope_params* params);
VKROPE_C_API vkrope_status vkrope_rope_config_set_params(vkrope_rope_config* config,
                                                         const vkrope_rope_params* params);

/* The per-pair tables (rotary_dim / 2 values each; empty: none). */
typedef enum vkrope_rope_table {
  VKROPE_ROPE_SHORT_FACTOR = 0, /* longrope */
  VKROPE_ROPE_LONG_FACTOR = 1,  /* longrope */
  VKROPE_ROPE_FREQ_FACTORS = 2, /* divisors of the frequencies (GGUF's rope_freqs) */
  VKROPE_ROPE_TABLE_MAX_ENUM = 0x7FFFFFFF
} vkrope_rope_table;

/* Replaces a table with `count` values (values nullable when count is 0). */
VKROPE_C_API vkrope_status vkrope_rope_config_set_table(vkrope_rope_config* config, vkrope_rope_table table,
                                                        const double* values, size_t count);
/* values NULL: *count := the table's length; else up to *count values copied, *count := length. */
VKROPE_C_API vkrope_status vkrope_rope_config_get_table(const vkrope_rope_config* config, vkrope_rope_table table,
                                                        double* values, size_t* count);
/* M-RoPE's [t, h, w] (count 3) or none (count 0). */
VKROPE_C_API vkrope_status vkrope_rope_config_set_mrope_section(vkrope_rope_config* config,
                                                                const int64_t* section, size_t count);
VKROPE_C_API vkrope_status vkrope_rope_config_get_mrope_section(const vkrope_rope_config* config,
                                                                int64_t* section, size_t* count);
/* INVALID_ARGUMENT saying what is wrong (odd head_dim, rotary_dim, theta, scaling fields...). */
VKROPE_C_API vkrope_status vkrope_rope_config_validate(const vkrope_rope_config* config);
/* Positions per token: 3 with M-RoPE, 2 with a vision form, else 1. */
VKROPE_C_API vkrope_status vkrope_rope_config_position_streams(const vkrope_rope_config* config, int64_t* streams);

/* One RoPE call (vkrope::rope). q: [batch, seq, heads, head_dim] or [seq, heads, head_dim];
 * k likewise (GQA). NULL outputs: in place. Positions: `position_count` explicit values
 * ([seq] or [batch * seq], stream-major with several streams), or, when NULL,
 * position_offset + token index. */
typedef struct vkrope_rope_args {
  uint32_t struct_size;
  vkrope_tensor* q;
  vkrope_tensor* q_out; /* nullable */
  vkrope_tensor* k;     /* nullable */
  vkrope_tensor* k_out; /* nullable */
  const int64_t* positions;
  size_t position_count;
  int64_t position_offset;
  int32_t inverse; /* rotate by the negative angle */
} vkrope_rope_args;

VKROPE_C_API void vkrope_rope_args_init(vkrope_rope_args* args);
/* batch nullable: submit and wait (checked mode compares with the CPU reference). */
VKROPE_C_API vkrope_status vkrope_rope(vkrope_batch* batch, const vkrope_rope_config* config,
                                       const vkrope_rope_args* args);

/* ---- Attention --------------------------------------------------------------------------- */

/* vkrope::AttentionConfig, every field; attention.hpp documents the masks and positions.
 * Arrays are borrowed for the call only. */
typedef struct vkrope_attention_config {
  uint32_t struct_size;
  int32_t has_scale;
  double scale; /* default 1 / sqrt(head_dim); must be finite */
  int32_t causal;
  int64_t window; /* sliding window W >= 1; 0: none (a negative W is INVALID_ARGUMENT) */
  int32_t alibi;
  double softcap;                   /* c > 0, or 0 for none */
  const float* sinks;               /* one logit per query head, or NULL */
  size_t sink_count;
  const vkrope_rope_config* rope;   /* fused RoPE of q and k, or NULL */
  const int64_t* query_positions;   /* [Sq], with key_positions; NULL: bottom-right aligned */
  size_t query_position_count;
  const int64_t* key_positions;     /* [Skv] */
  size_t key_position_count;
  const int64_t* query_rope_positions; /* fused RoPE with several streams: [streams, Sq] */
  size_t query_rope_position_count;
  const int64_t* key_rope_positions;   /* [streams, Skv] */
  size_t key_rope_position_count;
  int64_t key_splits; /* 0: the device decides; 1: one pass; n: n key ranges */
} vkrope_attention_config;

VKROPE_C_API void vkrope_attention_config_init(vkrope_attention_config* config);

/* out = softmax(q k^T * scale + bias) v. q [B, Sq, H, D] or [Sq, H, D]; k, v [B, Skv, Hkv, D]
 * or [Skv, Hkv, D]; out like q; H a multiple of Hkv. config nullable: defaults. batch
 * nullable: submit and wait. */
VKROPE_C_API vkrope_status vkrope_attention(vkrope_batch* batch, const vkrope_attention_config* config,
                                            const vkrope_tensor* q, const vkrope_tensor* k, const vkrope_tensor* v,
                                            vkrope_tensor* out);
/* The naive GPU path (every score materialized; small sizes only), to cross-check. */
VKROPE_C_API vkrope_status vkrope_attention_naive(const vkrope_attention_config* config, const vkrope_tensor* q,
                                                  const vkrope_tensor* k, const vkrope_tensor* v,
                                                  vkrope_tensor* out);
/* The standard ALiBi slopes of `heads` heads into slopes[0..heads). */
VKROPE_C_API vkrope_status vkrope_alibi_slopes(int64_t heads, double* slopes, size_t count);

/* ---- KV cache ---------------------------------------------------------------------------- */

typedef struct vkrope_kv_cache vkrope_kv_cache;

/* vkrope::KvCacheShape, every field; kv_cache.hpp documents them. */
typedef struct vkrope_kv_cache_shape {
  uint32_t struct_size;
  int64_t layers;   /* default 1 */
  int64_t batch;    /* default 1 */
  int64_t capacity; /* tokens per sequence; must be set */
  int64_t kv_heads; /* default 1 */
  int64_t head_dim; /* default 64; a multiple of 8 (32 with a block format), <= 256 */
  vkrope_dtype dtype;       /* keys (and values), default f16 */
  int32_t has_value_dtype;  /* 0: values as keys */
  vkrope_dtype value_dtype;
  int64_t window;           /* ring of the newest `window` tokens; 0: none */
  int64_t sink_tokens;
  int32_t cache_positions;
  int32_t evict;            /* default 1 */
  int64_t page_size;        /* paged: a power of two >= 2; 0: not paged */
  int64_t pages;
} vkrope_kv_cache_shape;

VKROPE_C_API void vkrope_kv_cache_shape_init(vkrope_kv_cache_shape* shape);
/* rope nullable: keys stored as given. */
VKROPE_C_API vkrope_status vkrope_kv_cache_create(vkrope_context* context, const vkrope_kv_cache_shape* shape,
                                                  const vkrope_rope_config* rope, vkrope_kv_cache** out);
VKROPE_C_API void vkrope_kv_cache_destroy(vkrope_kv_cache* cache);

/* New tokens' keys and values [B, T, Hkv, D] or [T, Hkv, D] (batch nullable: submit). */
VKROPE_C_API vkrope_status vkrope_kv_cache_append(vkrope_batch* batch, vkrope_kv_cache* cache, int64_t layer,
                                                  const vkrope_tensor* k_new, const vkrope_tensor* v_new);
/* Same at explicit RoPE positions (positions NULL: offset + t in every stream). */
VKROPE_C_API vkrope_status vkrope_kv_cache_append_at(vkrope_batch* batch, vkrope_kv_cache* cache, int64_t layer,
                                                     const vkrope_tensor* k_new, const vkrope_tensor* v_new,
                                                     const int64_t* positions, size_t position_count,
                                                     int64_t position_offset);
/* One sequence's new tokens at its own length (ragged batches). */
VKROPE_C_API vkrope_status vkrope_kv_cache_append_sequence(vkrope_batch* batch, vkrope_kv_cache* cache,
                                                           int64_t layer, int64_t sequence,
                                                           const vkrope_tensor* k_new, const vkrope_tensor* v_new);
/* Attention of q over the layer's filled prefix (config nullable; its rope and positions
 * must be unset: the cache defines both). */
VKROPE_C_API vkrope_status vkrope_kv_cache_attend(vkrope_batch* batch, const vkrope_kv_cache* cache, int64_t layer,
                                                  const vkrope_attention_config* config, const vkrope_tensor* q,
                                                  vkrope_tensor* out);
/* Same with the queries' RoPE positions given (see vkrope_kv_cache_append_at). */
VKROPE_C_API vkrope_status vkrope_kv_cache_attend_at(vkrope_batch* batch, const vkrope_kv_cache* cache,
                                                     int64_t layer, const vkrope_attention_config* config,
                                                     const vkrope_tensor* q, vkrope_tensor* out,
                                                     const int64_t* positions, size_t position_count,
                                                     int64_t position_offset);
/* Tokens filled in a layer: the longest sequence's (sequence < 0) or one sequence's. */
VKROPE_C_API vkrope_status vkrope_kv_cache_length(const vkrope_kv_cache* cache, int64_t layer, int64_t sequence,
                                                  int64_t* length);
/* Every layer back to length 0 (vkrope::KvCache::clear). */
VKROPE_C_API vkrope_status vkrope_kv_cache_reset(vkrope_kv_cache* cache);
/* Paged caches: share `from`'s pages with `to`; drop a sequence; free pages of a layer. */
VKROPE_C_API vkrope_status vkrope_kv_cache_fork(vkrope_kv_cache* cache, int64_t from, int64_t to);
VKROPE_C_API vkrope_status vkrope_kv_cache_release(vkrope_kv_cache* cache, int64_t sequence);
VKROPE_C_API vkrope_status vkrope_kv_cache_free_pages(const vkrope_kv_cache* cache, int64_t layer, int64_t* pages);
/* Sizes: device bytes per token (K and V, all kv heads), token slots per sequence, bytes
 * per layer (each nullable). */
VKROPE_C_API vkrope_status vkrope_kv_cache_sizes(const vkrope_kv_cache* cache, int64_t* bytes_per_token,
                                                 int64_t* slots, int64_t* bytes_per_layer);
/* The layer's filled keys / values as new tensor views ([B, length, Hkv, D]). */
VKROPE_C_API vkrope_status vkrope_kv_cache_keys(const vkrope_kv_cache* cache, int64_t layer, vkrope_tensor** out);
VKROPE_C_API vkrope_status vkrope_kv_cache_values(const vkrope_kv_cache* cache, int64_t layer, vkrope_tensor** out);

#ifdef __cplusplus
}
#endif

#endif /* VKROPE_VKROPE_H */
