/* netkey.c: the network secret file (see netkey.h). Randomness and hex from
 * libsodium. */
#include "netkey.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_HEADER "p2pfractal-network-key 1\n"
#define S_HEX_LEN (APP_NETKEY_BYTES * 2)
#define S_FILE_LEN (sizeof S_HEADER - 1 + S_HEX_LEN + 1)

/* Write all of buf to fd, then flush it to the disk. 0, or -1 (errno). */
static int
s_write_all (int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write (fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return fsync (fd);
}

int
app_netkey_generate (const char *path, int force, char *err, size_t err_size)
{
    if (sodium_init () < 0) {
        snprintf (err, err_size, "%s: libsodium cannot be initialised", path);
        return -1;
    }
    uint8_t key[APP_NETKEY_BYTES];
    char text[S_FILE_LEN + 1];
    randombytes_buf (key, sizeof key);
    memcpy (text, S_HEADER, sizeof S_HEADER - 1);
    sodium_bin2hex (text + sizeof S_HEADER - 1, S_HEX_LEN + 1, key, sizeof key);
    text[S_FILE_LEN - 1] = '\n';
    text[S_FILE_LEN] = '\0';
    sodium_memzero (key, sizeof key);

    int rc = -1;
    if (!force) {
        /* O_EXCL: never over an existing file, nor through a symlink. */
        int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0) {
            snprintf (err, err_size, "%s: %s", path,
                      errno == EEXIST ? "exists (--force replaces it)" : strerror (errno));
        } else if (s_write_all (fd, text, S_FILE_LEN) != 0) {
            snprintf (err, err_size, "%s: %s", path, strerror (errno));
            close (fd);
            unlink (path);
        } else if (close (fd) != 0) {
            snprintf (err, err_size, "%s: %s", path, strerror (errno));
            unlink (path);
        } else {
            rc = 0;
        }
    } else {
        /* A new file beside it (mkstemp: mode 0600), renamed over it: the
         * old key is replaced whole or not at all. */
        char tmp[4096], dir[4096];
        snprintf (dir, sizeof dir, "%s", path);
        int n = snprintf (tmp, sizeof tmp, "%s/.p2pfractal-key.XXXXXX", dirname (dir));
        int fd = n > 0 && (size_t)n < sizeof tmp ? mkstemp (tmp) : -1;
        if (fd < 0) {
            snprintf (err, err_size, "%s: cannot create a file beside it: %s", path,
                      strerror (errno));
        } else if (s_write_all (fd, text, S_FILE_LEN) != 0 || close (fd) != 0) {
            snprintf (err, err_size, "%s: %s", path, strerror (errno));
            unlink (tmp);
        } else if (rename (tmp, path) != 0) {
            snprintf (err, err_size, "%s: %s", path, strerror (errno));
            unlink (tmp);
        } else {
            rc = 0;
        }
    }
    sodium_memzero (text, sizeof text);
    return rc;
}

int
app_netkey_load (const char *path, uint8_t key[APP_NETKEY_BYTES], char *err, size_t err_size)
{
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf (err, err_size, "%s: %s", path, strerror (errno));
        return -1;
    }
    struct stat st;
    if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode)) {
        snprintf (err, err_size, "%s: not a regular file", path);
        close (fd);
        return -1;
    }
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        snprintf (err, err_size, "%s: others may read it (mode %03o); chmod 600 it", path,
                  (unsigned)(st.st_mode & 0777));
        close (fd);
        return -1;
    }
    char text[S_FILE_LEN + 2];
    ssize_t n = read (fd, text, sizeof text);
    close (fd);
    int ok = n == (ssize_t)S_FILE_LEN && memcmp (text, S_HEADER, sizeof S_HEADER - 1) == 0 &&
             text[S_FILE_LEN - 1] == '\n';
    size_t bin_len = 0;
    const char *end = NULL;
    if (ok)
        ok = sodium_hex2bin (key, APP_NETKEY_BYTES, text + sizeof S_HEADER - 1, S_HEX_LEN, NULL,
                             &bin_len, &end) == 0 &&
             bin_len == APP_NETKEY_BYTES && end == text + S_FILE_LEN - 1;
    sodium_memzero (text, sizeof text);
    if (!ok) {
        snprintf (err, err_size,
                  "%s: not a p2pfractal network key (make one with "
                  "'p2pfractal keygen -o FILE')",
                  path);
        return -1;
    }
    return 0;
}

int
app_netkey_transport_keys (const uint8_t secret[APP_NETKEY_BYTES], ovl_transport_keys_t *keys)
{
    _Static_assert(APP_NETKEY_BYTES == crypto_kdf_KEYBYTES, "the secret is a KDF master key");
    _Static_assert(OVL_TRANSPORT_KEY_BYTES == crypto_box_SEEDBYTES &&
                       OVL_TRANSPORT_KEY_BYTES == crypto_box_PUBLICKEYBYTES &&
                       OVL_TRANSPORT_KEY_BYTES == crypto_box_SECRETKEYBYTES,
                   "CURVE keys are crypto_box (X25519) keys");
    if (sodium_init () < 0)
        return -1;
    uint8_t seed[crypto_box_SEEDBYTES];
    crypto_kdf_derive_from_key (seed, sizeof seed, 1, "p2pfinbx", secret);
    crypto_box_seed_keypair (keys->inbox_public, keys->inbox_secret, seed);
    sodium_memzero (seed, sizeof seed);
    crypto_kdf_derive_from_key (keys->vouch_key, sizeof keys->vouch_key, 2, "p2pfvouc", secret);
    crypto_box_keypair (keys->node_public, keys->node_secret);
    return 0;
}
