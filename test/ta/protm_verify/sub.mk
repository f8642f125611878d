global-incdirs-y += include
srcs-y += protm_verify_ta.c
