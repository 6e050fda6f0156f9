/*
 * test_image.c -- harness/io/image.c against files written here byte by byte:
 *   - P2 (ASCII, with comments) and P5 8-bit files give value/maxval exactly;
 *   - a 16-bit P5 round trip (hg_image_write_pgm, hg_image_read) keeps every pixel to 0.5/65535;
 *   - a PNG written by libpng's own writer (8-bit gray) reads back as value/255 exactly;
 *   - bad magic, a malformed header, truncated pixel data and an over-large header are errors
 *     naming the file, and leave no image allocated;
 *   - area-averaging resize gives the exact 2x2 block means, a crop the exact window, and the
 *     synthetic image is the same for the same seed and differs for another;
 *   - the imaging operators (problems/imaging.c): the blur matrix A u equals the Gaussian
 *     convolution with half-sample symmetric boundary computed here directly (1e-14), every
 *     row sums to 1; D u equals the forward differences with a zero last difference, and
 *     <D u, p> = <u, D^T p> to 1e-12; the general convolution (hg_conv_operator +
 *     hg_conv_set) with random zero-mean 3 x 3 and 5 x 5 kernels equals the direct correlation
 *     (1e-14), its tap map names the pixel each tap reads, K 1 = 0, and <K u, p> = <u, K^T p>
 *     to 1e-12.
 *
 * usage: test_image SCRATCH_DIR
 */
#include "hg_cli.h"
#include "imaging.h"

#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int failures, checks;

static void check(int ok, const char *what)
{
  printf("%s %s\n", ok ? "PASS" : "FAIL", what);
  checks++;
  failures += !ok;
}

static void write_bytes(const char *path, const void *data, size_t len)
{
  FILE *f = fopen(path, "wb");
  if (f) {
    fwrite(data, 1, len, f);
    fclose(f);
  }
}

/* hg_image_read must fail on path with a message naming it. */
static void expect_error(const char *path, const char *what)
{
  hg_image img;
  hg_error err;
  hg_error_clear(&err);
  int rc = hg_image_read(path, &img, &err);
  char line[800];
  snprintf(line, sizeof line, "%s is an error naming the file (%s)", what, err.msg);
  check(rc != HG_OK && strstr(err.msg, path) && img.px == NULL, line);
}

int main(int argc, char **argv)
{
  const char *dir = argc > 1 ? argv[1] : ".";
  char path[1024];
  hg_image img, back, small, win;
  hg_error err;

  mkdir(dir, 0755);
  hg_error_clear(&err);

  /* P2 with comments */
  snprintf(path, sizeof path, "%s/a.pgm", dir);
  const char *p2 = "P2\n# a comment\n3 2\n# another\n10\n0 5 10\n1 2 3\n";
  write_bytes(path, p2, strlen(p2));
  int rc = hg_image_read(path, &img, &err);
  check(rc == HG_OK && img.w == 3 && img.h == 2 && img.px[1] == 0.5 && img.px[2] == 1 &&
        img.px[5] == 0.3, "P2 with comments: 3 x 2, value/maxval");
  hg_image_free(&img);

  /* P5 8-bit */
  snprintf(path, sizeof path, "%s/b.pgm", dir);
  const unsigned char p5[] = {'P', '5', '\n', '2', ' ', '2', '\n', '2', '5', '5', '\n',
                              0, 51, 204, 255};
  write_bytes(path, p5, sizeof p5);
  rc = hg_image_read(path, &img, &err);
  check(rc == HG_OK && img.px[0] == 0 && img.px[1] == 0.2 && img.px[2] == 0.8 &&
        img.px[3] == 1, "P5 8-bit: value/255");
  hg_image_free(&img);

  /* 16-bit round trip of a synthetic image */
  hg_image_synthetic(37, 23, 5, &img, &err);
  snprintf(path, sizeof path, "%s/c.pgm", dir);
  rc = hg_image_write_pgm(path, &img, &err) || hg_image_read(path, &back, &err);
  double worst = 0;
  for (int i = 0; !rc && i < img.w * img.h; i++)
    worst = fmax(worst, fabs(img.px[i] - back.px[i]));
  check(!rc && back.w == 37 && back.h == 23 && worst <= 0.5 / 65535 + 1e-15,
        "16-bit P5 round trip within 0.5/65535");
  hg_image_free(&back);

  /* PNG through libpng's writer */
  unsigned char gray[6] = {0, 17, 34, 85, 170, 255};
  png_image pi;
  memset(&pi, 0, sizeof pi);
  pi.version = PNG_IMAGE_VERSION;
  pi.width = 3;
  pi.height = 2;
  pi.format = PNG_FORMAT_GRAY;
  snprintf(path, sizeof path, "%s/d.png", dir);
  png_image_write_to_file(&pi, path, 0, gray, 0, NULL);
  rc = hg_image_read(path, &back, &err);
  int same = rc == HG_OK && back.w == 3 && back.h == 2;
  for (int i = 0; same && i < 6; i++)
    same = back.px[i] == gray[i] / 255.0;
  check(same, "PNG 8-bit gray: value/255");
  hg_image_free(&back);

  /* errors */
  snprintf(path, sizeof path, "%s/e.pgm", dir);
  write_bytes(path, "P6\n1 1\n255\n\0\0\0", 15);
  expect_error(path, "bad magic (P6)");
  snprintf(path, sizeof path, "%s/f.pgm", dir);
  write_bytes(path, "P5\n2 x\n255\n", 11);
  expect_error(path, "malformed header");
  snprintf(path, sizeof path, "%s/g.pgm", dir);
  write_bytes(path, "P5\n4 4\n255\n\1\2\3", 14);
  expect_error(path, "truncated pixel data");
  snprintf(path, sizeof path, "%s/h.pgm", dir);
  write_bytes(path, "P5\n100000 100000\n255\n", 21);
  expect_error(path, "a header beyond the pixel limit");
  snprintf(path, sizeof path, "%s/i.png", dir);
  write_bytes(path, "\x89PNG\r\n\x1a\n\0\0", 10);
  expect_error(path, "a truncated PNG");
  snprintf(path, sizeof path, "%s/missing.pgm", dir);
  expect_error(path, "a missing file");

  /* resize: exact 2x2 block means; crop: the exact window */
  hg_image four;
  hg_image_create(4, 4, &four, &err);
  for (int i = 0; i < 16; i++)
    four.px[i] = i;
  rc = hg_image_resize(&four, 2, 2, &small, &err);
  check(!rc && small.px[0] == 2.5 && small.px[1] == 4.5 && small.px[2] == 10.5 &&
        small.px[3] == 12.5, "resize 4x4 -> 2x2: block means");
  rc = hg_image_crop(&four, 1, 2, 2, 2, &win, &err);
  check(!rc && win.px[0] == 9 && win.px[1] == 10 && win.px[2] == 13 && win.px[3] == 14,
        "crop 2x2 at (1, 2)");
  check(hg_image_crop(&four, 3, 3, 2, 2, &back, &err) == HG_ERR_ARG, "a crop off the image "
        "is refused");
  hg_image_free(&small);
  hg_image_free(&win);
  hg_image_free(&four);

  /* synthetic: deterministic per seed */
  hg_image again, other;
  hg_image_synthetic(37, 23, 5, &again, &err);
  hg_image_synthetic(37, 23, 6, &other, &err);
  check(!memcmp(img.px, again.px, sizeof *img.px * 37 * 23) &&
        memcmp(img.px, other.px, sizeof *img.px * 37 * 23),
        "synthetic image: same seed same image, another seed another");
  hg_image_free(&img);
  hg_image_free(&again);
  hg_image_free(&other);

  /* blur against a direct convolution, 7 x 5 image, 5 x 5 taps, sigma 1 */
  {
    int w = 7, h = 5, P = 35, r = 2;
    hg_matrix *A = NULL, *D = NULL;
    hg_rng rng;
    double u[35], Au[35], k[5][5], sum = 0, worst_blur = 0, worst_row = 0;
    hg_rng_seed(&rng, 9);
    for (int i = 0; i < P; i++)
      u[i] = hg_rng_normal(&rng);
    for (int b = -r; b <= r; b++)
      for (int a = -r; a <= r; a++)
        sum += k[b + r][a + r] = exp(-(a * a + b * b) / 2.0);
    rc = hg_blur_operator(w, h, 5, 1.0, &A, &err);
    hg_matrix_gemv(A, 0, 1, u, 0, Au);
    for (int y = 0; !rc && y < h; y++)
      for (int x = 0; x < w; x++) {
        double direct = 0, rowsum = 0;
        for (int b = -r; b <= r; b++)
          for (int a = -r; a <= r; a++) {
            int xx = x + a, yy = y + b; /* mirror: -1 -> 0, -2 -> 1, w -> w-1, w+1 -> w-2 */
            xx = xx < 0 ? -xx - 1 : xx >= w ? 2 * w - xx - 1 : xx;
            yy = yy < 0 ? -yy - 1 : yy >= h ? 2 * h - yy - 1 : yy;
            direct += k[b + r][a + r] / sum * u[yy * w + xx];
          }
        for (int q = A->rowptr[y * w + x]; q < A->rowptr[y * w + x + 1]; q++)
          rowsum += A->val[q];
        worst_blur = fmax(worst_blur, fabs(direct - Au[y * w + x]));
        worst_row = fmax(worst_row, fabs(rowsum - 1));
      }
    check(!rc && worst_blur < 1e-14 && worst_row < 1e-14,
          "blur operator: the direct convolution with symmetric boundary, rows sum to 1");

    double Du[70], p[70], DTp[35], lhs = 0, rhs = 0, worst_d = 0;
    rc = hg_diff_operator(w, h, &D, &err);
    hg_matrix_gemv(D, 0, 1, u, 0, Du);
    for (int y = 0; !rc && y < h; y++)
      for (int x = 0; x < w; x++) {
        double dx = x < w - 1 ? u[y * w + x + 1] - u[y * w + x] : 0;
        double dy = y < h - 1 ? u[(y + 1) * w + x] - u[y * w + x] : 0;
        worst_d = fmax(worst_d, fmax(fabs(dx - Du[y * w + x]), fabs(dy - Du[P + y * w + x])));
      }
    for (int i = 0; i < 2 * P; i++)
      p[i] = hg_rng_normal(&rng);
    hg_matrix_gemv(D, 1, 1, p, 0, DTp);
    for (int i = 0; i < 2 * P; i++)
      lhs += Du[i] * p[i];
    for (int i = 0; i < P; i++)
      rhs += u[i] * DTp[i];
    check(!rc && worst_d == 0 && fabs(lhs - rhs) <= 1e-12 * fabs(lhs),
          "difference operator: forward differences, Neumann boundary, <Du, p> = <u, D^T p>");
    hg_matrix_destroy(&A);
    hg_matrix_destroy(&D);
  }

  /* the general convolution (denoise-foe's filters): random zero-mean kernels of 3 x 3 and
   * 5 x 5 taps on a 7 x 5 image, against the direct correlation with symmetric boundary */
  for (int size = 3; size <= 5; size += 2) {
    int w = 7, h = 5, P = 35, r = size / 2, taps = size * size;
    hg_matrix *K = NULL;
    hg_rng rng;
    int tap[35 * 25], tap_ok = 1;
    double k[25], u[35], Ku[35], Kc[35], p[35], KTp[35], one[35], K1[35], mean = 0;
    double worst_k = 0, worst_one = 0, lhs = 0, rhs = 0;
    hg_rng_seed(&rng, 40 + size);
    for (int t = 0; t < taps; t++)
      mean += k[t] = hg_rng_normal(&rng);
    for (int t = 0; t < taps; t++)
      k[t] -= mean / taps;
    for (int i = 0; i < P; i++) {
      u[i] = hg_rng_normal(&rng);
      p[i] = hg_rng_normal(&rng);
      one[i] = 1;
    }
    rc = hg_conv_operator(w, h, size, &K, tap, &err);
    if (!rc)
      hg_conv_set(K, taps, tap, k);
    for (int y = 0; !rc && y < h; y++)
      for (int x = 0; x < w; x++) {
        double direct = 0;
        for (int b = -r; b <= r; b++)
          for (int a = -r; a <= r; a++) {
            int xx = x + a, yy = y + b; /* mirror: -1 -> 0, -2 -> 1, w -> w-1, w+1 -> w-2 */
            xx = xx < 0 ? -xx - 1 : xx >= w ? 2 * w - xx - 1 : xx;
            yy = yy < 0 ? -yy - 1 : yy >= h ? 2 * h - yy - 1 : yy;
            direct += k[(b + r) * size + a + r] * u[yy * w + xx];
            tap_ok &= K->colind[tap[(y * w + x) * taps + (b + r) * size + a + r]] == yy * w + xx;
          }
        Ku[y * w + x] = direct;
      }
    if (!rc) { /* Ku: the direct correlation; Kc: the CSR product */
      hg_matrix_gemv(K, 0, 1, u, 0, Kc);
      hg_matrix_gemv(K, 0, 1, one, 0, K1);
      hg_matrix_gemv(K, 1, 1, p, 0, KTp);
      for (int i = 0; i < P; i++) {
        worst_k = fmax(worst_k, fabs(Ku[i] - Kc[i]));
        worst_one = fmax(worst_one, fabs(K1[i]));
        lhs += Kc[i] * p[i];
        rhs += u[i] * KTp[i];
      }
    }
    check(!rc && tap_ok && worst_k < 1e-14 && worst_one < 1e-14 &&
              fabs(lhs - rhs) <= 1e-12 * fabs(lhs),
          size == 3 ? "convolution 3 x 3: the direct correlation with symmetric boundary, the "
                      "tap map, K 1 = 0 (zero mean), <K u, p> = <u, K^T p> to 1e-12"
                    : "convolution 5 x 5: the direct correlation with symmetric boundary, the "
                      "tap map, K 1 = 0 (zero mean), <K u, p> = <u, K^T p> to 1e-12");
    hg_matrix_destroy(&K);
  }

  printf("%d checks, %d failures\n", checks, failures);
  return failures ? 1 : 0;
}
