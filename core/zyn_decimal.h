/*  =========================================================================
    zyn_decimal - DynamoDB numbers: exact decimals of up to 38 significant
    digits with exponents from 1E-130 to 9.99..9E+125

    Parses and normalises decimal text ("01.50" -> "1.5"), compares,
    adds and subtracts exactly, and encodes numbers into bytes whose
    bytewise order is numeric order (for keys). Error messages are
    DynamoDB's.
    =========================================================================
*/

#ifndef ZYN_DECIMAL_H_INCLUDED
#define ZYN_DECIMAL_H_INCLUDED

#include "zynamo.h"

#define ZYN_DECIMAL_DIGITS 38
//  Longest canonical text with NUL. Canonical text is plain notation, so
//  -0.(129 zeros)(38 digits) takes 170 characters
#define ZYN_DECIMAL_TEXT_MAX 176
//  Longest key encoding
#define ZYN_DECIMAL_KEY_MAX 24

//  value = (negative ? -1 : 1) * 0.d[0]d[1]...d[ndigits-1] * 10^exponent;
//  digits are 0..9, d[0] != 0 and d[ndigits-1] != 0 unless the value is
//  zero, which has ndigits == 0, negative == false, exponent == 0.
typedef struct {
    bool negative;
    uint8_t ndigits;
    uint8_t digits [ZYN_DECIMAL_DIGITS];
    int32_t exponent;
} zyn_decimal_t;

//  Parse size bytes of decimal text (no NUL needed). Accepts what DynamoDB
//  accepts: optional sign, digits with an optional point, optional
//  exponent ("e"/"E", signed). Returns 0, or -1 with DynamoDB's
//  ValidationException message in err (not a number, more than 38
//  significant digits, overflow, underflow).
int
    zyn_decimal_parse (zyn_decimal_t *self, const char *text, size_t size,
                       zyn_error_t *err);

//  Write the canonical text of self into buf (at least
//  ZYN_DECIMAL_TEXT_MAX bytes), NUL-terminated; returns its length.
//  Canonical: no leading or trailing zeros, plain notation ("1500",
//  "0.015", "-3.25"), as DynamoDB returns numbers.
size_t
    zyn_decimal_format (const zyn_decimal_t *self, char *buf);

//  Parse and re-format in one step: out gets the canonical text
//  (ZYN_DECIMAL_TEXT_MAX bytes). Returns its length, or -1 with err.
int
    zyn_decimal_normalize (const char *text, size_t size, char *out,
                           zyn_error_t *err);

//  True if text (size bytes) is an integer already in canonical form
//  ("0", "-12", "1500"): zyn_decimal_normalize would return it as it is.
bool
    zyn_decimal_is_canonical_integer (const char *text, size_t size);

//  Compare numerically: <0, 0, >0.
int
    zyn_decimal_compare (const zyn_decimal_t *a, const zyn_decimal_t *b);

//  result = a + b, exact. Returns 0, or -1 with DynamoDB's message if the
//  result needs more than 38 significant digits or leaves the range.
int
    zyn_decimal_add (const zyn_decimal_t *a, const zyn_decimal_t *b,
                     zyn_decimal_t *result, zyn_error_t *err);

//  result = a - b, exact; as zyn_decimal_add.
int
    zyn_decimal_subtract (const zyn_decimal_t *a, const zyn_decimal_t *b,
                          zyn_decimal_t *result, zyn_error_t *err);

//  Set self to an integer.
void
    zyn_decimal_from_int64 (zyn_decimal_t *self, int64_t number);

//  If self is an integer within int64_t, store it and return 0; else -1.
int
    zyn_decimal_to_int64 (const zyn_decimal_t *self, int64_t *number);

//  The value as a double (approximate; for statistics, not for storage).
double
    zyn_decimal_to_double (const zyn_decimal_t *self);

//  Encode into buf (ZYN_DECIMAL_KEY_MAX bytes) so that memcmp order of
//  encodings is numeric order; the encoding is self-delimiting (no
//  encoding is a prefix of another). Returns its length.
size_t
    zyn_decimal_encode_key (const zyn_decimal_t *self, uint8_t *buf);

//  Decode a key encoding from the start of data (size bytes available).
//  Returns the bytes used, or 0 if data is not a valid encoding.
size_t
    zyn_decimal_decode_key (zyn_decimal_t *self, const uint8_t *data,
                            size_t size);

//  The bytes DynamoDB counts for this number in item size: about 1 byte
//  per two significant digits, plus 1 (exactly: 1, plus one per base-100
//  digit counted from the decimal point, plus 1 if negative; "15" is 2,
//  "1.5" is 3, "-42" is 3, zero is 1).
size_t
    zyn_decimal_storage_size (const zyn_decimal_t *self);

#endif
