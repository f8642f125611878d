// SPDX-License-Identifier: BSD-2-Clause
/*
 * protm-panthor-firmware: KTAP suite "panthor-firmware", Panthor against
 * malformed CSF firmware images. The images are generated here from the
 * real one (/lib/firmware/arm/mali/arch10.8/mali_csffw.bin): truncated,
 * bad magic, bad header, bad section entries, and protected (PROT)
 * sections that are misaligned, overlap, carry data or sit in the kernel's
 * MCU VA region. Each image is loaded for real: the firmware loader's
 * search path is pointed at a directory holding it and the GPU is unbound
 * from panthor and bound again.
 *
 * Expected: a broken image fails the probe with Panthor's message for that
 * defect; a bad PROT section leaves the GPU usable with protected mode
 * unavailable (kernel-patches/ design). Oopses and warnings are caught by
 * the console scan of the run. The first case proves that a rebind with
 * the real image works, the last puts the real image back.
 *
 * Usage: protm-panthor-firmware [--dri DEV]
 *
 * Image layout (Panthor's panthor_fw.c): a 20-byte header (magic, minor,
 * major, version hash, size), then entries of a 32-bit header (type in
 * bits 7:0, size in bits 15:8); a section entry (type 0) holds flags,
 * VA start/end and data start/end.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <drm/drm.h>
#include <drm/panthor_drm.h>

#include "lib/args.h"
#include "lib/ktap.h"
#include "lib/panthor.h"
#include "lib/sys.h"

#define SUITE "panthor-firmware"
#define NO_DEVICE "no Mali device"

#define FW_NAME "arm/mali/arch10.8/mali_csffw.bin"
#define FW_REAL "/lib/firmware/" FW_NAME
#define FW_DIR "/tmp/protm-fw"
#define FW_SEARCH_PATH "/sys/module/firmware_class/parameters/path"
#define DRIVER_DIR "/sys/bus/platform/drivers/panthor"

/* Protected-mode query of kernel-patches/ (driver 1.9), mirrored */
#define PROTM_DRV_MINOR 9
#define PROTM_DEV_QUERY_PROTM_INFO 4
#define PROTM_INFO_AVAILABLE (1u << 0)

/* Section entry: offsets from the entry header, and flags */
#define SEC_FLAGS 4
#define SEC_VA_START 8
#define SEC_VA_END 12
#define SEC_DATA_START 16
#define SEC_DATA_END 20
#define SEC_FLAG_PROT (1u << 5)
#define SEC_FLAG_UNKNOWN (1u << 20)
#define HDR_MAJOR 5
#define HDR_SIZE 16

struct image {
	uint8_t *data;
	size_t len;
};

enum outcome { PROBE_FAILS, PROTM_DISABLED };

struct mutation {
	const char *name;
	enum outcome outcome;
	const char *log;	/* what Panthor says about it */
	bool (*apply)(struct image *img);
};

struct ctx {
	const char *dri;
	char dri_path[64];
	char dev[64];		/* platform device name, e.g. b000000.gpu */
	int minor;
	struct image real;
};

/* ---- image editing ------------------------------------------------------ */

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

/* The entry header of the nth section entry with `flags_set` all set. */
static uint8_t *find_section(struct image *img, uint32_t flags_set, int nth)
{
	uint32_t end = get32(img->data + HDR_SIZE), off = 20;

	while (off + 4 <= end && off + 4 <= img->len) {
		uint32_t hdr = get32(img->data + off), size = (hdr >> 8) & 0xff;

		if (size < 4 || off + size > img->len)
			return NULL;
		if ((hdr & 0xff) == 0 && size >= 24 &&
		    (get32(img->data + off + SEC_FLAGS) & flags_set) == flags_set && nth-- == 0)
			return img->data + off;
		off += size;
	}
	return NULL;
}

static bool truncate_to_header(struct image *img)
{
	img->len = 12;
	return true;
}

static bool break_magic(struct image *img)
{
	img->data[0] ^= 0xff;
	return true;
}

static bool unknown_major(struct image *img)
{
	img->data[HDR_MAJOR] = 9;
	return true;
}

static bool size_past_end(struct image *img)
{
	put32(img->data + HDR_SIZE, img->len + 4096);
	return true;
}

static bool size_cuts_entry(struct image *img)
{
	/* The first entry starts at 20 and is longer than 12 bytes. */
	put32(img->data + HDR_SIZE, 32);
	return true;
}

static bool invert_va(struct image *img)
{
	uint8_t *s = find_section(img, 0, 0);

	if (!s)
		return false;
	put32(s + SEC_VA_END, get32(s + SEC_VA_START) - 0x1000);
	return true;
}

static bool data_past_end(struct image *img)
{
	uint8_t *s = find_section(img, 0, 0);

	if (!s)
		return false;
	put32(s + SEC_DATA_END, img->len + 0x1000);
	return true;
}

static bool unknown_flag(struct image *img)
{
	uint8_t *s = find_section(img, 0, 0);

	if (!s)
		return false;
	put32(s + SEC_FLAGS, get32(s + SEC_FLAGS) | SEC_FLAG_UNKNOWN);
	return true;
}

static bool prot_misaligned(struct image *img)
{
	uint8_t *p = find_section(img, SEC_FLAG_PROT, 0);

	if (!p)
		return false;
	put32(p + SEC_VA_START, get32(p + SEC_VA_START) + 0x800);
	return true;
}

/* Turn an earlier ordinary section into a PROT one overlapping the real one. */
static bool prot_overlap(struct image *img)
{
	uint8_t *p = find_section(img, SEC_FLAG_PROT, 0), *s;
	int i;

	if (!p)
		return false;
	for (i = 0; (s = find_section(img, 0, i)) && s < p; i++) {
		if (get32(s + SEC_VA_START) == 0x04000000)
			continue;	/* keep the shared interface section */
		put32(s + SEC_FLAGS, get32(p + SEC_FLAGS));
		put32(s + SEC_VA_START, get32(p + SEC_VA_START) + 0x1000);
		put32(s + SEC_VA_END, get32(p + SEC_VA_END) + 0x1000);
		put32(s + SEC_DATA_START, 0);
		put32(s + SEC_DATA_END, 0);
		return true;
	}
	return false;
}

static bool prot_with_data(struct image *img)
{
	uint8_t *p = find_section(img, SEC_FLAG_PROT, 0), *s = find_section(img, 0, 0);

	if (!p || !s)
		return false;
	put32(p + SEC_DATA_START, get32(s + SEC_DATA_START));
	put32(p + SEC_DATA_END, get32(s + SEC_DATA_START) + 0x40);
	return true;
}

static bool prot_in_kernel_region(struct image *img)
{
	uint8_t *p = find_section(img, SEC_FLAG_PROT, 0);
	uint32_t size;

	if (!p)
		return false;
	size = get32(p + SEC_VA_END) - get32(p + SEC_VA_START);
	put32(p + SEC_VA_START, 0x05000000);
	put32(p + SEC_VA_END, 0x05000000 + size);
	return true;
}

static const struct mutation mutations[] = {
	{ "truncated_to_12_bytes", PROBE_FAILS, "Firmware too small", truncate_to_header },
	{ "bad_magic", PROBE_FAILS, "Invalid firmware magic", break_magic },
	{ "unknown_header_version", PROBE_FAILS, "Unsupported firmware binary header version", unknown_major },
	{ "header_size_past_end", PROBE_FAILS, "Firmware image is truncated", size_past_end },
	{ "header_size_cuts_an_entry", PROBE_FAILS, "Firmware entry too long", size_cuts_entry },
	{ "section_va_inverted", PROBE_FAILS, "hdr.va.end < hdr.va.start", invert_va },
	{ "section_data_past_end", PROBE_FAILS, "file truncated?", data_past_end },
	{ "section_unknown_flag", PROBE_FAILS, "unsupported flags", unknown_flag },
	{ "prot_section_misaligned", PROBE_FAILS, "virtual addresses not page aligned", prot_misaligned },
	{ "prot_sections_overlap", PROTM_DISABLED, "rejected: overlaps another protected section", prot_overlap },
	{ "prot_section_with_data", PROTM_DISABLED, "rejected: protected sections can't carry initial data",
	  prot_with_data },
	{ "prot_section_in_kernel_va", PROTM_DISABLED, "rejected: VA range inside the MCU kernel VA region",
	  prot_in_kernel_region },
};

#define NMUTATIONS ((int)(sizeof(mutations) / sizeof(mutations[0])))

/* ---- loading ------------------------------------------------------------ */

static int read_file(const char *path, struct image *img)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return errno;
	if (fstat(fd, &st) < 0 || !(img->data = malloc(st.st_size)))
		rc = errno ? errno : ENOMEM;
	else if (read(fd, img->data, st.st_size) != st.st_size)
		rc = EIO;
	img->len = rc ? 0 : (size_t)st.st_size;
	close(fd);
	return rc;
}

/* Writes `len` bytes to a file (sysfs attributes included); 0 or errno. */
static int write_file(const char *path, const void *buf, size_t len, int flags)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC | flags, 0644), rc = 0;
	ssize_t n;

	if (fd < 0)
		return errno;
	n = write(fd, buf, len);
	if (n < 0)
		rc = errno;
	else if ((size_t)n != len)
		rc = EIO;
	if (close(fd) < 0 && !rc)
		rc = errno;
	return rc;
}

static int write_str(const char *path, const char *s)
{
	return write_file(path, s, strlen(s), 0);
}

static bool bound(const struct ctx *c)
{
	char path[160];

	snprintf(path, sizeof(path), DRIVER_DIR "/%s", c->dev);
	return access(path, F_OK) == 0;
}

/*
 * Installs `img` where the firmware loader looks first, then unbinds and
 * binds the GPU. Returns the errno of the bind (0: probe succeeded).
 */
static int load_image(struct ctx *c, const struct image *img, const char **what)
{
	int rc;

	*what = "writing " FW_DIR "/" FW_NAME;
	rc = write_file(FW_DIR "/" FW_NAME, img->data, img->len, O_CREAT | O_TRUNC);
	if (rc)
		return rc;
	*what = "setting " FW_SEARCH_PATH;
	rc = write_str(FW_SEARCH_PATH, FW_DIR);
	if (rc)
		return rc;
	if (bound(c)) {
		*what = "unbinding";
		rc = write_str(DRIVER_DIR "/unbind", c->dev);
		if (rc)
			return rc;
	}
	*what = "binding";
	return write_str(DRIVER_DIR "/bind", c->dev);
}

/* The rebound device answers; with the series, says if protm is available. */
static int probe_device(struct ctx *c, bool *protm_available)
{
	struct drm_panthor_gpu_info gpu;
	uint32_t info[8] = { 0 };
	int fd, minor, rc;

	fd = panthor_open(c->dri, c->dri_path, sizeof(c->dri_path), &minor);
	if (fd < 0)
		return ENODEV;
	rc = panthor_query(fd, DRM_PANTHOR_DEV_QUERY_GPU_INFO, &gpu, sizeof(gpu));
	*protm_available = false;
	if (!rc && minor >= PROTM_DRV_MINOR &&
	    !panthor_query(fd, PROTM_DEV_QUERY_PROTM_INFO, info, sizeof(info)))
		*protm_available = info[0] & PROTM_INFO_AVAILABLE;
	close(fd);
	return rc;
}

/* ---- cases ---------------------------------------------------------------- */

static enum ktap_result load_real(struct ctx *c)
{
	enum ktap_result res = KTAP_PASS;
	const char *what;
	bool protm = false;
	int rc;

	rc = load_image(c, &c->real, &what);
	EXPECT(rc == 0, "%s with the real firmware: %s", what, strerror(rc));
	EXPECT(bound(c), "panthor is not bound to %s", c->dev);
	rc = probe_device(c, &protm);
	EXPECT(rc == 0, "the rebound device does not answer: %s", strerror(rc));
	EXPECT(c->minor < PROTM_DRV_MINOR || protm, "protected mode is not available with the real firmware");
out:
	return res;
}

static enum ktap_result run_mutation(struct ctx *c, const struct mutation *m, char *skip, size_t skip_len)
{
	enum ktap_result res = KTAP_PASS;
	struct image img = { .len = c->real.len };
	const char *what;
	bool protm = true;
	int before, rc;

	if (m->outcome == PROTM_DISABLED && c->minor < PROTM_DRV_MINOR)
		SKIP("panthor 1.%d has no protected sections support", c->minor);
	img.data = malloc(img.len);
	EXPECT(img.data, "out of memory");
	memcpy(img.data, c->real.data, img.len);
	EXPECT(m->apply(&img), "the real image lacks the section to corrupt");

	before = klog_count(m->log);
	rc = load_image(c, &img, &what);
	if (m->outcome == PROBE_FAILS) {
		EXPECT(rc != 0 && !strcmp(what, "binding"), "%s: %s, expected the probe to fail", what,
		       strerror(rc));
		EXPECT(!bound(c), "panthor is bound despite the broken image");
	} else {
		EXPECT(rc == 0, "%s: %s, expected the probe to succeed", what, strerror(rc));
		rc = probe_device(c, &protm);
		EXPECT(rc == 0, "the device does not answer: %s", strerror(rc));
		EXPECT(!protm, "protected mode is available despite the bad PROT section");
	}
	EXPECT(klog_count(m->log) > before, "the kernel log has no \"%s\"", m->log);
out:
	free(img.data);
	return res;
}

/* ---- main ---------------------------------------------------------------- */

/* Creates the directories leading to `file`; 0 or errno. */
static int mkdir_p(const char *file)
{
	char path[256];
	char *p;

	snprintf(path, sizeof(path), "%s", file);
	for (p = strchr(path + 1, '/'); p; p = strchr(p + 1, '/')) {
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return errno;
		*p = '/';
	}
	return 0;
}

/* The platform device behind the render node, via /sys/dev/char. */
static int find_device(struct ctx *c)
{
	char link[160], target[256];
	ssize_t n;
	int rc = panthor_sysfs_device(c->dri_path, link, sizeof(link));

	if (rc)
		return rc;
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return errno;
	target[n] = '\0';
	snprintf(c->dev, sizeof(c->dev), "%s", basename(target));
	return 0;
}

int main(int argc, char **argv)
{
	struct ctx c = { 0 };
	char skip[200];
	int fd, rc, i;

	const struct check_opt opts[] = { { "dri", "DEV", &c.dri }, { NULL } };

	setvbuf(stdout, NULL, _IOLBF, 0);
	check_parse_args(argc, argv, "protm-panthor-firmware", opts);

	ktap_suite_begin(SUITE, NMUTATIONS + 2);
	fd = panthor_open(c.dri, c.dri_path, sizeof(c.dri_path), &c.minor);
	snprintf(skip, sizeof(skip), NO_DEVICE);
	if (fd >= 0) {
		close(fd);
		if ((rc = find_device(&c)))
			snprintf(skip, sizeof(skip), "no platform device for %s: %s", c.dri_path, strerror(rc));
		else if ((rc = read_file(FW_REAL, &c.real)))
			snprintf(skip, sizeof(skip), "cannot read %s: %s", FW_REAL, strerror(rc));
		else if ((rc = mkdir_p(FW_DIR "/" FW_NAME)))
			snprintf(skip, sizeof(skip), "cannot create the directories of %s/%s: %s", FW_DIR, FW_NAME,
				 strerror(rc));
		else
			skip[0] = '\0';
	}
	if (skip[0]) {
		enum ktap_result r = fd < 0 ? panthor_missing_result() : KTAP_SKIP;

		ktap_diag("%s%s", skip, r == KTAP_FAIL ? ", but the host booted the Mali model (PROTM_EXPECT_GPU=1)" : "");
		for (i = 0; i < NMUTATIONS + 2; i++)
			ktap_case(r, i == 0 ? "real_firmware_rebinds" : i <= NMUTATIONS ?
				  mutations[i - 1].name : "real_firmware_restored", skip);
		return ktap_suite_end();
	}
	ktap_diag("%s on %s, panthor 1.%d, %zu-byte firmware", c.dri_path, c.dev, c.minor, c.real.len);

	ktap_case(load_real(&c), "real_firmware_rebinds", "");
	for (i = 0; i < NMUTATIONS; i++) {
		enum ktap_result r;

		skip[0] = '\0';
		r = run_mutation(&c, &mutations[i], skip, sizeof(skip));
		ktap_case(r, mutations[i].name, skip);
	}
	ktap_case(load_real(&c), "real_firmware_restored", "");
	write_str(FW_SEARCH_PATH, "\n");
	free(c.real.data);
	return ktap_suite_end();
}
