# QEMU devices for the protm target: what the virt board selects (and the
# Mali CSF model and anything else virt selects with it), nothing else.
# protm configures QEMU with --without-default-devices and this file, which
# halves the compile steps of QEMU's default set (every Arm board).
CONFIG_ARM_VIRT=y
# QEMU 10.2's virt selects ACPI_CXL, whose code calls into hw/cxl; without
# CXL itself the link fails (cxl_fmws_get_all_sorted has no stub). CXL
# depends on PXB, and its code on the type 3 memory device: defaults that
# apply only when default devices are on.
CONFIG_PXB=y
CONFIG_CXL=y
CONFIG_CXL_MEM_DEVICE=y
# CXL's root port derives from the PCIe root port.
CONFIG_PCIE_PORT=y
