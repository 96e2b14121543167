/* test_sha256.c — core/sha256 against the FIPS 180-4 / NIST CAVS example vectors (empty, "abc",
 * the 448-bit and 896-bit messages, one million 'a' fed in uneven pieces) and sha256_file. */
#include "testutil.h"
#include "core/sha256.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_vectors(void **state) {
    (void)state;
    char hex[65];
    sha256_hex("", 0, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    sha256_hex("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    sha256_hex(m448, strlen(m448), hex);
    assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    const char *m896 = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
    sha256_hex(m896, strlen(m896), hex);
    assert_string_equal(hex, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

static void test_million_a_in_pieces(void **state) {
    (void)state;
    char *a = malloc(1000000);
    memset(a, 'a', 1000000);
    Sha256 s;
    sha256_init(&s);
    size_t done = 0, piece = 1;
    while (done < 1000000) {   /* pieces of 1, 2, 3, ... bytes: every buffer boundary case */
        size_t n = piece < 1000000 - done ? piece : 1000000 - done;
        sha256_update(&s, a + done, n);
        done += n;
        piece = piece % 131 + 1;
    }
    uint8_t d[32];
    sha256_final(&s, d);
    char hex[65];
    for (int i = 0; i < 32; i++) sprintf(hex + 2 * i, "%02x", d[i]);
    assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    free(a);
}

static void test_file(void **state) {
    (void)state;
    char *dir = tu_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/x.bin", dir);
    FILE *f = fopen(path, "wb");
    fputs("abc", f);
    fclose(f);
    char hex[65];
    uint64_t size = 0;
    XsErr err = {0};
    assert_int_equal(sha256_file(path, hex, &size, &err), 0);
    assert_int_equal(size, 3);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    snprintf(path, sizeof path, "%s/missing.bin", dir);
    assert_int_equal(sha256_file(path, hex, &size, &err), -1);
    assert_non_null(strstr(err.msg, "missing.bin"));
    tu_rmtree(dir);
    free(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_million_a_in_pieces),
        cmocka_unit_test(test_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
