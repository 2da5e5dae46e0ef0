/* The generated Swift bindings' C header, compiled and called from C: no Swift toolchain can be
 * installed on this machine kind, so this is as far as the Swift side is tested here. Calls
 * mask_name through the same FFI functions the Swift code calls. */
#include <stdio.h>
#include <string.h>
#include "VenueCodeFFI.h"

int main(void) {
    const char *name = "张三丰";
    RustCallStatus status = {0};
    ForeignBytes in = {(int32_t)strlen(name), (const uint8_t *)name};
    RustBuffer arg = ffi_venuecode_mobile_rustbuffer_from_bytes(in, &status);
    if (status.code != 0) return 2;
    RustBuffer out = uniffi_venuecode_mobile_fn_func_mask_name(arg, &status);
    if (status.code != 0) return 3;
    int ok = out.len == (uint64_t)strlen("张*丰") && memcmp(out.data, "张*丰", out.len) == 0;
    printf("C via the Swift FFI header: mask_name -> %.*s\n", (int)out.len, (const char *)out.data);
    ffi_venuecode_mobile_rustbuffer_free(out, &status);
    return ok ? 0 : 1;
}
