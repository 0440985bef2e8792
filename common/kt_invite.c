/* kt_invite — see kt_invite.h. Payload: "addresses|ca_fpr|secret|user",
 * base64url without padding (OpenSSL's encoder, alphabet swapped). */
#include "kt_invite.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int kt_invite_encode(const kt_invite *inv, kt_buf *out, kt_err *err) {
  const char *parts[] = {inv->addresses, inv->ca_fpr, inv->secret, inv->user};
  for (int i = 0; i < 4; i++)
    if (strchr(parts[i], '|') || !parts[i][0])
      return kt_err_set(err, KT_EINVAL, "invite part %d is empty or contains '|'", i);
  char payload[1024];
  int n = snprintf(payload, sizeof payload, "%s|%s|%s|%s", inv->addresses, inv->ca_fpr,
                   inv->secret, inv->user);
  if (n < 0 || (size_t)n >= sizeof payload) return kt_err_set(err, KT_EINVAL, "invite too long");
  unsigned char enc[1500];
  int m = EVP_EncodeBlock(enc, (const unsigned char *)payload, n);
  while (m > 0 && enc[m - 1] == '=') m--;
  for (int i = 0; i < m; i++) {
    if (enc[i] == '+') enc[i] = '-';
    else if (enc[i] == '/') enc[i] = '_';
  }
  kt_buf_puts(out, "KT1.");
  kt_buf_append(out, enc, (size_t)m);
  return 0;
}

int kt_invite_decode(const char *token, kt_invite *out, kt_err *err) {
  while (*token == ' ' || *token == '\t' || *token == '\n') token++;
  size_t len = strlen(token);
  while (len && (token[len - 1] == ' ' || token[len - 1] == '\n' || token[len - 1] == '\r')) len--;
  if (len < 8 || strncmp(token, "KT1.", 4) != 0 || len > 1400)
    return kt_err_set(err, KT_EINVAL, "this is not a Kartoteka invite (it should start with "
                      "KT1.); copy the whole invite your administrator sent");
  char b64[1500];
  size_t m = len - 4;
  memcpy(b64, token + 4, m);
  for (size_t i = 0; i < m; i++) {
    if (b64[i] == '-') b64[i] = '+';
    else if (b64[i] == '_') b64[i] = '/';
  }
  while (m % 4) b64[m++] = '=';
  b64[m] = '\0';
  unsigned char dec[1200];
  int n = EVP_DecodeBlock(dec, (const unsigned char *)b64, (int)m);
  if (n < 0) return kt_err_set(err, KT_EINVAL, "the invite is damaged (not base64); copy it again");
  /* EVP_DecodeBlock counts padding bytes as zeros */
  while (n > 0 && dec[n - 1] == '\0') n--;
  dec[n] = '\0';
  char *fields[4] = {0};
  char *p = (char *)dec;
  for (int i = 0; i < 4; i++) {
    fields[i] = p;
    char *bar = strchr(p, '|');
    if (i < 3) {
      if (!bar) return kt_err_set(err, KT_EINVAL, "the invite is damaged; copy it again");
      *bar = '\0';
      p = bar + 1;
    } else if (bar) {
      return kt_err_set(err, KT_EINVAL, "the invite is damaged; copy it again");
    }
  }
  memset(out, 0, sizeof *out);
  if (snprintf(out->addresses, sizeof out->addresses, "%s", fields[0]) >= (int)sizeof out->addresses ||
      snprintf(out->ca_fpr, sizeof out->ca_fpr, "%s", fields[1]) >= (int)sizeof out->ca_fpr ||
      snprintf(out->secret, sizeof out->secret, "%s", fields[2]) >= (int)sizeof out->secret ||
      snprintf(out->user, sizeof out->user, "%s", fields[3]) >= (int)sizeof out->user ||
      !fields[0][0] || !fields[1][0] || !fields[2][0] || !fields[3][0])
    return kt_err_set(err, KT_EINVAL, "the invite is damaged; copy it again");
  return 0;
}
