@ Small memcpy / memmove / memset for the firmware (Thumb-2, Armv7-M).
@
@ compiler_builtins' versions (weak symbols) are tuned for speed: about
@ 2.8 KB of flash, mostly memmove's and memcpy's misaligned-word paths.
@ These copy and fill word by word while the pointers are 4-aligned and byte
@ by byte otherwise, in about 150 bytes; the cost in instructions per
@ validation is in EMBEDDED.md.
@ Strong symbols: the linker takes these over the weak builtins.

    .syntax unified
    .thumb

@ void *memcpy(void *dst, const void *src, size_t n)
@ void __aeabi_memcpy{,4,8}(void *dst, const void *src, size_t n)
@ (4/8: both pointers aligned to 4/8)
@ Word by word while both pointers are 4-aligned (struct copies, the usual
@ case), then byte by byte.
    .section .text.tokenlane_embedded_memcpy,"ax",%progbits
    .global __aeabi_memcpy4
    .global __aeabi_memcpy8
    .global __aeabi_memcpy
    .global memcpy
    .type __aeabi_memcpy4, %function
    .type __aeabi_memcpy8, %function
    .type __aeabi_memcpy, %function
    .type memcpy, %function
    .p2align 1
__aeabi_memcpy:
memcpy:
    mov r3, r0
    orr r12, r0, r1
    tst r12, #3
    bne 3f
    b 1f
__aeabi_memcpy4:
__aeabi_memcpy8:
    mov r3, r0
1:  subs r2, r2, #4
    bcc 2f
    ldr r12, [r1], #4
    str r12, [r3], #4
    b 1b
2:  adds r2, r2, #4
3:  cbz r2, 5f
4:  ldrb r12, [r1], #1
    strb r12, [r3], #1
    subs r2, r2, #1
    bne 4b
5:  bx lr
    .size memcpy, . - memcpy

@ void *memmove(void *dst, const void *src, size_t n)
@ void __aeabi_memmove{,4,8}(void *dst, const void *src, size_t n)
    .section .text.tokenlane_embedded_memmove,"ax",%progbits
    .global __aeabi_memmove4
    .global __aeabi_memmove8
    .global __aeabi_memmove
    .global memmove
    .type __aeabi_memmove4, %function
    .type __aeabi_memmove8, %function
    .type __aeabi_memmove, %function
    .type memmove, %function
    .p2align 1
__aeabi_memmove4:
__aeabi_memmove8:
__aeabi_memmove:
memmove:
    @ dst - src (unsigned) >= n: dst is below src or past its end, so a
    @ forward copy never reads a byte it already wrote.
    subs r3, r0, r1
    cmp r3, r2
    bhs memcpy
    adds r1, r1, r2
    adds r3, r0, r2
    cbz r2, 2f
1:  ldrb r12, [r1, #-1]!
    strb r12, [r3, #-1]!
    subs r2, r2, #1
    bne 1b
2:  bx lr
    .size memmove, . - memmove

@ void *memset(void *dst, int c, size_t n)   (word stores when dst is 4-aligned)
@ void __aeabi_memset{,4,8}(void *dst, size_t n, int c)   (note the order)
@ void __aeabi_memclr{,4,8}(void *dst, size_t n)
    .section .text.tokenlane_embedded_memset,"ax",%progbits
    .global __aeabi_memclr4
    .global __aeabi_memclr8
    .global __aeabi_memclr
    .global __aeabi_memset4
    .global __aeabi_memset8
    .global __aeabi_memset
    .global memset
    .type __aeabi_memclr4, %function
    .type __aeabi_memclr8, %function
    .type __aeabi_memclr, %function
    .type __aeabi_memset4, %function
    .type __aeabi_memset8, %function
    .type __aeabi_memset, %function
    .type memset, %function
    .p2align 1
__aeabi_memclr4:
__aeabi_memclr8:
__aeabi_memclr:
    movs r2, #0
__aeabi_memset4:
__aeabi_memset8:
__aeabi_memset:
    mov r3, r1
    mov r1, r2
    mov r2, r3
memset:
    mov r3, r0
    tst r0, #3
    bne 3f
    and r1, r1, #0xff
    orr r1, r1, r1, lsl #8
    orr r1, r1, r1, lsl #16
1:  subs r2, r2, #4
    bcc 2f
    str r1, [r3], #4
    b 1b
2:  adds r2, r2, #4
3:  cbz r2, 5f
4:  strb r1, [r3], #1
    subs r2, r2, #1
    bne 4b
5:  bx lr
    .size memset, . - memset
