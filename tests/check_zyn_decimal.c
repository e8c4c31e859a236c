/*  =========================================================================
    check_zyn_decimal - Check suite for zyn_decimal

    Table-driven: normalisation, invalid text, the 38-digit limit, range
    edges, comparison, exact addition and subtraction, int64 and double
    conversion, item sizes, and the order-preserving key encoding checked
    on thousands of seeded random numbers.
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_error.h"
#include "zyn_decimal.h"
#include "../tests/zyn_testutil.h"

#define MSG_NAN "A value provided cannot be converted into a number"
#define MSG_PRECISION                                                       \
    "Attempting to store more than 38 significant digits in a Number"
#define MSG_OVERFLOW                                                        \
    "Number overflow. Attempting to store a number with magnitude larger "  \
    "than supported range"
#define MSG_UNDERFLOW                                                       \
    "Number underflow. Attempting to store a number with magnitude "        \
    "smaller than supported range"

//  Parse text (NUL-terminated) or fail the test
static zyn_decimal_t
s_number (const char *text)
{
    zyn_decimal_t number;
    zyn_error_t err = { 0 };
    int rc = zyn_decimal_parse (&number, text, strlen (text), &err);
    ck_assert_msg (rc == 0, "parse '%s': %s", text, err.message);
    return number;
}

//  A string of count copies of c, then tail; caller frees
static char *
s_repeat (const char *head, char c, size_t count, const char *tail)
{
    size_t head_len = strlen (head);
    size_t tail_len = strlen (tail);
    char *text = malloc (head_len + count + tail_len + 1);
    memcpy (text, head, head_len);
    memset (text + head_len, c, count);
    memcpy (text + head_len + count, tail, tail_len + 1);
    return text;
}


//  --------------------------------------------------------------------------
//  Normalisation

typedef struct {
    const char *input;
    const char *canonical;
} s_normal_case_t;

static const s_normal_case_t s_normal_cases [] = {
    { "0", "0" },
    { "-0", "0" },
    { "+0", "0" },
    { "0.0", "0" },
    { "-0.000", "0" },
    { "000", "0" },
    { "0e10", "0" },
    { "0e1000", "0" },
    { "0E-99999999999999999999", "0" },
    { ".0", "0" },
    { "0.", "0" },
    { "1", "1" },
    { "+1", "1" },
    { "-1", "-1" },
    { "01.50", "1.5" },
    { "1.5", "1.5" },
    { "-1.50", "-1.5" },
    { "1500", "1500" },
    { "1.5e3", "1500" },
    { "1.5E+3", "1500" },
    { "1E2", "100" },
    { "1e+2", "100" },
    { "+1e2", "100" },
    { "100e-2", "1" },
    { "0.00100", "0.001" },
    { "1e-3", "0.001" },
    { ".5", "0.5" },
    { "-.5", "-0.5" },
    { "5.", "5" },
    { "-5.", "-5" },
    { "0001.23", "1.23" },
    { "-7.1234", "-7.1234" },
    { "-17e5", "-1700000" },
    { "-17.4E37", "-174000000000000000000000000000000000000" },
    { ".123", "0.123" },
    { "1e+5", "100000" },
    { "123.456e1", "1234.56" },
    { "123.456e-1", "12.3456" },
    { "123.456e3", "123456" },
    { "123.456e-3", "0.123456" },
    { "123.456e-4", "0.0123456" },
    { "0.000123e4", "1.23" },
    { "10.01", "10.01" },
    { "1000000.0000001", "1000000.0000001" },
    { "007", "7" },
    { "3.14159", "3.14159" },
    { "12345678901234567890", "12345678901234567890" },
    { "9223372036854775807", "9223372036854775807" },
    { "-9223372036854775808", "-9223372036854775808" },
    { "3.1415926535897932384626433832795028841",
      "3.1415926535897932384626433832795028841" },
    { "314159265358979323846.26433832795028841",
      "314159265358979323846.26433832795028841" },
    { "31415926535897932384626433832795028841e30",
      "31415926535897932384626433832795028841"
      "000000000000000000000000000000" },
    //  Leading and trailing zeros are not significant digits
    { "0000000000000000000000000000000000000000000000000001", "1" },
    { "1.00000000000000000000000000000000000000000000000000", "1" },
    { "12345678901234567890123456789012345678000000",
      "12345678901234567890123456789012345678000000" },
    { "0.000000000000012345678901234567890123456789012345678",
      "0.000000000000012345678901234567890123456789012345678" },
};

START_TEST (test_normalize)
{
    size_t count = sizeof (s_normal_cases) / sizeof (s_normal_cases [0]);
    for (size_t i = 0; i < count; i++) {
        const s_normal_case_t *c = &s_normal_cases [i];
        char out [ZYN_DECIMAL_TEXT_MAX];
        zyn_error_t err = { 0 };
        int len = zyn_decimal_normalize (c->input, strlen (c->input), out,
                                         &err);
        ck_assert_msg (len >= 0, "'%s': %s", c->input, err.message);
        ck_assert_str_eq (out, c->canonical);
        ck_assert_int_eq (len, (int) strlen (c->canonical));
        ck_assert_int_eq (err.type, ZYN_ERR_NONE);
        //  Canonical text is a fixed point
        char again [ZYN_DECIMAL_TEXT_MAX];
        ck_assert_int_eq (zyn_decimal_normalize (out, (size_t) len, again,
                                                 NULL), len);
        ck_assert_str_eq (again, out);
    }
}
END_TEST

START_TEST (test_parse_fields)
{
    zyn_decimal_t number = s_number ("-0.0120");
    ck_assert (number.negative);
    ck_assert_int_eq (number.ndigits, 2);
    ck_assert_int_eq (number.digits [0], 1);
    ck_assert_int_eq (number.digits [1], 2);
    ck_assert_int_eq (number.exponent, -1);

    number = s_number ("1500");
    ck_assert (!number.negative);
    ck_assert_int_eq (number.ndigits, 2);
    ck_assert_int_eq (number.exponent, 4);

    number = s_number ("-0");
    ck_assert (!number.negative);
    ck_assert_int_eq (number.ndigits, 0);
    ck_assert_int_eq (number.exponent, 0);

    //  Only size bytes are read; no NUL is needed
    ck_assert_int_eq (zyn_decimal_parse (&number, "12abc", 2, NULL), 0);
    ck_assert_int_eq (number.ndigits, 2);
    ck_assert_int_eq (number.exponent, 2);
}
END_TEST

START_TEST (test_format_longest)
{
    //  The longest canonical text fits ZYN_DECIMAL_TEXT_MAX
    zyn_decimal_t number
        = s_number ("-1.2345678901234567890123456789012345678E-130");
    char out [ZYN_DECIMAL_TEXT_MAX];
    size_t len = zyn_decimal_format (&number, out);
    ck_assert_uint_eq (len, 170);
    ck_assert_uint_eq (strlen (out), 170);
    ck_assert (strncmp (out, "-0.000", 6) == 0);
    ck_assert_str_eq (out + 132, "12345678901234567890123456789012345678");

    number = s_number ("-9.9999999999999999999999999999999999999E+125");
    len = zyn_decimal_format (&number, out);
    ck_assert_uint_eq (len, 127);
    ck_assert (strncmp (out, "-99999999999999999999999999999999999999000", 42)
               == 0);
}
END_TEST


//  --------------------------------------------------------------------------
//  Invalid text and limits

typedef struct {
    const char *input;
    const char *message;
} s_error_case_t;

static const s_error_case_t s_error_cases [] = {
    { "", MSG_NAN },
    { "-", MSG_NAN },
    { "+", MSG_NAN },
    { ".", MSG_NAN },
    { "-.", MSG_NAN },
    { "e5", MSG_NAN },
    { ".e5", MSG_NAN },
    { "+e2", MSG_NAN },
    { "1e", MSG_NAN },
    { "1e+", MSG_NAN },
    { "1e-", MSG_NAN },
    { "1E5.5", MSG_NAN },
    { "1e5e5", MSG_NAN },
    { "1.2.3", MSG_NAN },
    { "1+2", MSG_NAN },
    { "--1", MSG_NAN },
    { "+-1", MSG_NAN },
    { "1-", MSG_NAN },
    { " 1", MSG_NAN },
    { "1 ", MSG_NAN },
    { "1\n", MSG_NAN },
    { "1 000", MSG_NAN },
    { "1,5", MSG_NAN },
    { "NaN", MSG_NAN },
    { "-NaN", MSG_NAN },
    { "Infinity", MSG_NAN },
    { "-Infinity", MSG_NAN },
    { "inf", MSG_NAN },
    { "dog", MSG_NAN },
    { "-dog", MSG_NAN },
    { "0x10", MSG_NAN },
    { "12abc", MSG_NAN },
    { "1d5", MSG_NAN },
    //  Syntax is checked before precision and range
    { "123456789012345678901234567890123456789x", MSG_NAN },
    { "1e999x", MSG_NAN },
    //  Precision
    { "123456789012345678901234567890123456789", MSG_PRECISION },
    { "-1.23456789012345678901234567890123456789", MSG_PRECISION },
    { "3.14159265358979323846264338327950288419", MSG_PRECISION },
    { "314159265358979323846.264338327950288419", MSG_PRECISION },
    { "314159265358979323846264338327950288419e30", MSG_PRECISION },
    { "1.00000000000000000000000000000000000001", MSG_PRECISION },
    { "10000000000000000000000000000000000000.1", MSG_PRECISION },
    { "0.000123456789012345678901234567890123456789", MSG_PRECISION },
    //  Precision is checked before range
    { "123456789012345678901234567890123456789e200", MSG_PRECISION },
    //  Overflow
    { "1e126", MSG_OVERFLOW },
    { "-1e126", MSG_OVERFLOW },
    { "11e125", MSG_OVERFLOW },
    { "10E125", MSG_OVERFLOW },
    { "1e99999999999999999999", MSG_OVERFLOW },
    { "0.1e127", MSG_OVERFLOW },
    //  Underflow
    { "1e-131", MSG_UNDERFLOW },
    { "-1e-131", MSG_UNDERFLOW },
    { "0.9e-130", MSG_UNDERFLOW },
    { "9.9999999999999999999999999999999999999e-131", MSG_UNDERFLOW },
    { "1e-99999999999999999999", MSG_UNDERFLOW },
};

START_TEST (test_errors)
{
    size_t count = sizeof (s_error_cases) / sizeof (s_error_cases [0]);
    for (size_t i = 0; i < count; i++) {
        const s_error_case_t *c = &s_error_cases [i];
        zyn_decimal_t number;
        zyn_error_t err = { 0 };
        int rc = zyn_decimal_parse (&number, c->input, strlen (c->input),
                                    &err);
        ck_assert_msg (rc == -1, "'%s' should fail", c->input);
        ck_assert_int_eq (err.type, ZYN_ERR_VALIDATION);
        ck_assert_msg (streq (err.message, c->message), "'%s': got '%s'",
                       c->input, err.message);
        char out [ZYN_DECIMAL_TEXT_MAX];
        zyn_error_t err2 = { 0 };
        ck_assert_int_eq (zyn_decimal_normalize (c->input, strlen (c->input),
                                                 out, &err2), -1);
        ck_assert_str_eq (err2.message, c->message);
        //  A NULL err is allowed
        ck_assert_int_eq (zyn_decimal_parse (&number, c->input,
                                             strlen (c->input), NULL), -1);
    }
    //  NULL text
    zyn_decimal_t number;
    zyn_error_t err = { 0 };
    ck_assert_int_eq (zyn_decimal_parse (&number, NULL, 0, &err), -1);
    ck_assert_str_eq (err.message, MSG_NAN);
}
END_TEST

START_TEST (test_limits)
{
    //  Exactly 38 significant digits, however placed, are fine
    const char *ok [] = {
        "12345678901234567890123456789012345678",
        "-1.2345678901234567890123456789012345678",
        "0.00012345678901234567890123456789012345678",
        "12345678901234567890123456789012345678e50",
        "1.0000000000000000000000000000000000001",
        "99999999999999999999999999999999999999",
        "1E-130",
        "-1E-130",
        "1.2345678901234567890123456789012345678E-130",
        "9.9999999999999999999999999999999999999E+125",
        "-9.9999999999999999999999999999999999999E+125",
        "1e125",
        "9.99999999e125",
        "0.1e-129",
        "1000e-133",
    };
    for (size_t i = 0; i < sizeof (ok) / sizeof (ok [0]); i++) {
        zyn_decimal_t number;
        zyn_error_t err = { 0 };
        ck_assert_msg (zyn_decimal_parse (&number, ok [i], strlen (ok [i]),
                                          &err) == 0,
                       "'%s': %s", ok [i], err.message);
    }
    //  The extremes in plain notation
    char out [ZYN_DECIMAL_TEXT_MAX];
    char *text = s_repeat ("1", '0', 125, "");
    ck_assert_int_eq (zyn_decimal_normalize ("1e125", 5, out, NULL), 126);
    ck_assert_str_eq (out, text);
    free (text);
    text = s_repeat ("-0.", '0', 129, "1");
    ck_assert_int_eq (zyn_decimal_normalize ("-1E-130", 7, out, NULL), 133);
    ck_assert_str_eq (out, text);
    free (text);
    //  A long run of zeros around one digit is still one digit
    text = s_repeat ("1", '0', 125, "");
    zyn_decimal_t number = s_number (text);
    ck_assert_int_eq (number.ndigits, 1);
    ck_assert_int_eq (number.exponent, 126);
    free (text);
    text = s_repeat ("1", '0', 126, "");
    zyn_error_t err = { 0 };
    ck_assert_int_eq (zyn_decimal_parse (&number, text, strlen (text), &err),
                      -1);
    ck_assert_str_eq (err.message, MSG_OVERFLOW);
    free (text);
    text = s_repeat ("0.", '0', 129, "1");
    number = s_number (text);
    ck_assert_int_eq (number.exponent, -129);
    free (text);
    text = s_repeat ("0.", '0', 130, "1");
    ck_assert_int_eq (zyn_decimal_parse (&number, text, strlen (text), &err),
                      -1);
    ck_assert_str_eq (err.message, MSG_UNDERFLOW);
    free (text);
    //  A million leading zeros cost nothing
    text = s_repeat ("-", '0', 1000000, "42.5");
    number = s_number (text);
    ck_assert (number.negative);
    ck_assert_int_eq (number.exponent, 2);
    free (text);
    //  38 digits then many zeros, then a 39th digit: too precise
    text = s_repeat ("12345678901234567890123456789012345678", '0', 50, "1");
    ck_assert_int_eq (zyn_decimal_parse (&number, text, strlen (text), &err),
                      -1);
    ck_assert_str_eq (err.message, MSG_PRECISION);
    free (text);
}
END_TEST


//  --------------------------------------------------------------------------
//  Comparison

typedef struct {
    const char *a;
    const char *b;
    int sign;
} s_compare_case_t;

static const s_compare_case_t s_compare_cases [] = {
    { "0", "-0", 0 },
    { "0", "1", -1 },
    { "0", "-1", 1 },
    { "1", "1.0", 0 },
    { "1", "2", -1 },
    { "-1", "-2", 1 },
    { "1", "10", -1 },
    { "9", "10", -1 },
    { "-9", "-10", 1 },
    { "0.1", "0.01", 1 },
    { "-0.1", "-0.01", -1 },
    { "1.5", "1.45", 1 },
    { "1.5", "1.55", -1 },
    { "12", "1.2e1", 0 },
    { "1e-130", "0", 1 },
    { "-1e-130", "0", -1 },
    { "9.9999999999999999999999999999999999999E+125", "1e125", 1 },
    { "-9.9999999999999999999999999999999999999E+125", "-1e125", -1 },
    { "1.0000000000000000000000000000000000001", "1", 1 },
    { "1", "0.99999999999999999999999999999999999999", 1 },
    { "100", "99.999", 1 },
    { "-100", "99.999", -1 },
    { "123", "123.0000000000001", -1 },
};

START_TEST (test_compare)
{
    size_t count = sizeof (s_compare_cases) / sizeof (s_compare_cases [0]);
    for (size_t i = 0; i < count; i++) {
        const s_compare_case_t *c = &s_compare_cases [i];
        zyn_decimal_t a = s_number (c->a);
        zyn_decimal_t b = s_number (c->b);
        int ab = zyn_decimal_compare (&a, &b);
        int ba = zyn_decimal_compare (&b, &a);
        ck_assert_msg ((ab > 0) - (ab < 0) == c->sign, "%s <=> %s gave %d",
                       c->a, c->b, ab);
        ck_assert_int_eq ((ba > 0) - (ba < 0), -c->sign);
        ck_assert_int_eq (zyn_decimal_compare (&a, &a), 0);
    }
}
END_TEST


//  --------------------------------------------------------------------------
//  Addition and subtraction

typedef struct {
    const char *a;
    char op;                    //  '+' or '-'
    const char *b;
    const char *result;         //  NULL if it fails
    const char *message;        //  the failure's message
} s_arith_case_t;

static const s_arith_case_t s_arith_cases [] = {
    { "0", '+', "0", "0", NULL },
    { "1", '+', "0", "1", NULL },
    { "0", '+', "-3.5", "-3.5", NULL },
    { "0", '-', "-3.5", "3.5", NULL },
    { "0", '-', "3.5", "-3.5", NULL },
    { "2.5", '-', "0", "2.5", NULL },
    { "1", '+', "1", "2", NULL },
    { "1", '+', "10000000000000000000000", "10000000000000000000001", NULL },
    { "10000000000000000000000", '-', "1", "9999999999999999999999", NULL },
    { "0.3", '-', "0.1", "0.2", NULL },
    { "0.1", '+', "0.2", "0.3", NULL },
    { "100000000000000000000.00000001", '-', "1",
      "99999999999999999999.00000001", NULL },
    //  Carries
    { "9", '+', "1", "10", NULL },
    { "999", '+', "1", "1000", NULL },
    { "9.99", '+', "0.01", "10", NULL },
    { "0.999", '+', "0.001", "1", NULL },
    { "99999999999999999999999999999999999999", '+', "1",
      "100000000000000000000000000000000000000", NULL },
    { "-99999999999999999999999999999999999999", '-', "1",
      "-100000000000000000000000000000000000000", NULL },
    { "5.5", '+', "4.5", "10", NULL },
    //  Borrows and cancellation
    { "1000", '-', "1", "999", NULL },
    { "1", '-', "0.001", "0.999", NULL },
    { "10", '-', "9.99", "0.01", NULL },
    { "1.5", '-', "1.5", "0", NULL },
    { "-1.5", '+', "1.5", "0", NULL },
    { "123.456", '-', "123.455", "0.001", NULL },
    { "1e125", '-', "1e125", "0", NULL },
    //  Sign changes
    { "1", '-', "2", "-1", NULL },
    { "-1", '+', "2", "1", NULL },
    { "-2", '+', "1", "-1", NULL },
    { "2", '+', "-3", "-1", NULL },
    { "-2", '-', "-3", "1", NULL },
    { "-2", '-', "3", "-5", NULL },
    { "-0.5", '-', "0.25", "-0.75", NULL },
    { "0.25", '-', "0.5", "-0.25", NULL },
    //  Far apart but within 38 digits
    { "1e37", '+', "1", "10000000000000000000000000000000000001", NULL },
    { "1e20", '+', "1e-17", "100000000000000000000.00000000000000001", NULL },
    { "1e125", '+', "1e88", "1.0000000000000000000000000000000000001e125",
      NULL },
    { "1e-130", '+', "1e-130", "2e-130", NULL },
    //  The limits
    { "1e38", '+', "1", NULL, MSG_OVERFLOW },
    { "1e50", '+', "1", NULL, MSG_OVERFLOW },
    { "1e50", '-', "1", NULL, MSG_OVERFLOW },
    { "1e125", '+', "1", NULL, MSG_OVERFLOW },
    { "1", '+', "1e-38", NULL, MSG_OVERFLOW },
    { "1e-100", '+', "1", NULL, MSG_OVERFLOW },
    { "12345678901234567890123456789012345678", '+', "0.1", NULL,
      MSG_OVERFLOW },
    { "9e125", '+', "9e125", NULL, MSG_OVERFLOW },
    { "9e125", '-', "-9e125", NULL, MSG_OVERFLOW },
    { "-9e125", '-', "9e125", NULL, MSG_OVERFLOW },
    { "9.9999999999999999999999999999999999999E+125", '+', "1e88", NULL,
      MSG_OVERFLOW },
    { "9.9999999999999999999999999999999999999E+125", '-', "-1e88", NULL,
      MSG_OVERFLOW },
    { "1.1e-130", '-', "1e-130", NULL, MSG_UNDERFLOW },
    { "-1.1e-130", '+', "1e-130", NULL, MSG_UNDERFLOW },
    //  Exact 38-digit results are fine
    { "1e37", '-', "1", "9999999999999999999999999999999999999", NULL },
    { "1e38", '-', "1", "99999999999999999999999999999999999999", NULL },
    { "0.12345678901234567890123456789012345678", '+',
      "0.00000000000000000000000000000000000002",
      "0.1234567890123456789012345678901234568", NULL },
    { "1.2e-130", '-', "1.1e-130", NULL, MSG_UNDERFLOW },
    { "2e-130", '-', "1e-130", "1e-130", NULL },
};

START_TEST (test_arithmetic)
{
    size_t count = sizeof (s_arith_cases) / sizeof (s_arith_cases [0]);
    for (size_t i = 0; i < count; i++) {
        const s_arith_case_t *c = &s_arith_cases [i];
        zyn_decimal_t a = s_number (c->a);
        zyn_decimal_t b = s_number (c->b);
        zyn_decimal_t result;
        zyn_error_t err = { 0 };
        int rc = c->op == '+' ? zyn_decimal_add (&a, &b, &result, &err)
                              : zyn_decimal_subtract (&a, &b, &result, &err);
        if (c->result) {
            ck_assert_msg (rc == 0, "%s %c %s: %s", c->a, c->op, c->b,
                           err.message);
            //  The expected result may be written in any notation
            zyn_decimal_t expected = s_number (c->result);
            char out [ZYN_DECIMAL_TEXT_MAX];
            char out_expected [ZYN_DECIMAL_TEXT_MAX];
            zyn_decimal_format (&result, out);
            zyn_decimal_format (&expected, out_expected);
            ck_assert_msg (streq (out, out_expected),
                           "%s %c %s = %s, not %s", c->a, c->op, c->b, out,
                           out_expected);
            ck_assert_int_eq (zyn_decimal_compare (&result, &expected), 0);
            ck_assert_int_eq (memcmp (&result, &expected, sizeof (result)),
                              0);
            //  Addition commutes; subtraction reverses the sign
            zyn_decimal_t other;
            if (c->op == '+')
                ck_assert_int_eq (zyn_decimal_add (&b, &a, &other, NULL), 0);
            else {
                ck_assert_int_eq (zyn_decimal_subtract (&b, &a, &other, NULL),
                                  0);
                if (other.ndigits)
                    other.negative = !other.negative;
            }
            ck_assert_int_eq (zyn_decimal_compare (&other, &result), 0);
        }
        else {
            ck_assert_msg (rc == -1, "%s %c %s should fail", c->a, c->op,
                           c->b);
            ck_assert_int_eq (err.type, ZYN_ERR_VALIDATION);
            ck_assert_msg (streq (err.message, c->message), "%s %c %s: '%s'",
                           c->a, c->op, c->b, err.message);
        }
    }
}
END_TEST

START_TEST (test_arithmetic_in_place)
{
    //  result may be one of the operands
    zyn_decimal_t total = s_number ("0");
    zyn_decimal_t step = s_number ("0.1");
    for (int i = 0; i < 1000; i++)
        ck_assert_int_eq (zyn_decimal_add (&total, &step, &total, NULL), 0);
    char out [ZYN_DECIMAL_TEXT_MAX];
    zyn_decimal_format (&total, out);
    ck_assert_str_eq (out, "100");
    for (int i = 0; i < 1500; i++)
        ck_assert_int_eq (zyn_decimal_subtract (&total, &step, &total, NULL),
                          0);
    zyn_decimal_format (&total, out);
    ck_assert_str_eq (out, "-50");
    ck_assert_int_eq (zyn_decimal_subtract (&total, &total, &total, NULL), 0);
    zyn_decimal_format (&total, out);
    ck_assert_str_eq (out, "0");
}
END_TEST


//  A seeded generator (xorshift64*), state held by the caller
static uint64_t
s_random (uint64_t *state)
{
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return *state * 2685821657736338717ULL;
}

//  Format a scaled integer (value / 10^6) as plain decimal text
static void
s_format_micros (int64_t micros, char *buf, size_t size)
{
    uint64_t magnitude = micros < 0 ? 0 - (uint64_t) micros
                                    : (uint64_t) micros;
    snprintf (buf, size, "%s%" PRIu64 ".%06" PRIu64, micros < 0 ? "-" : "",
              magnitude / 1000000, magnitude % 1000000);
}

START_TEST (test_arithmetic_random)
{
    //  Against exact integer arithmetic on numbers with six decimals
    uint64_t state = 0xadd5eb7ac7ULL;
    for (int i = 0; i < 20000; i++) {
        int64_t a = (int64_t) (s_random (&state) % 2000000000000000000ULL)
                  - 1000000000000000000LL;
        int64_t b = (int64_t) (s_random (&state) % 2000000000000000000ULL)
                  - 1000000000000000000LL;
        //  Shorter numbers, to get zeros, carries and cancellation
        int shift = (int) (s_random (&state) % 19);
        for (int j = 0; j < shift; j++) {
            a /= 10;
            b /= 10;
        }
        if (s_random (&state) % 8 == 0)
            b = -a + (int64_t) (s_random (&state) % 3) - 1;
        char text_a [48], text_b [48], text_sum [48], text_difference [48];
        s_format_micros (a, text_a, sizeof (text_a));
        s_format_micros (b, text_b, sizeof (text_b));
        s_format_micros (a + b, text_sum, sizeof (text_sum));
        s_format_micros (a - b, text_difference, sizeof (text_difference));
        zyn_decimal_t number_a = s_number (text_a);
        zyn_decimal_t number_b = s_number (text_b);
        zyn_decimal_t sum, difference;
        if (zyn_decimal_add (&number_a, &number_b, &sum, NULL)
            || zyn_decimal_subtract (&number_a, &number_b, &difference, NULL))
            ck_abort_msg ("%s and %s failed", text_a, text_b);
        zyn_decimal_t expected_sum = s_number (text_sum);
        zyn_decimal_t expected_difference = s_number (text_difference);
        if (memcmp (&sum, &expected_sum, sizeof (sum))
            || memcmp (&difference, &expected_difference, sizeof (sum)))
            ck_abort_msg ("%s and %s: wrong sum or difference", text_a,
                          text_b);
        int order = zyn_decimal_compare (&number_a, &number_b);
        if ((order > 0) - (order < 0) != (a > b) - (a < b))
            ck_abort_msg ("%s <=> %s wrong", text_a, text_b);
    }
}
END_TEST

//  The grammar DynamoDB accepts, written independently of the parser
static bool
s_grammar_ok (const char *text)
{
    const char *p = text;
    if (*p == '+' || *p == '-')
        p++;
    int digits = 0;
    while (isdigit ((unsigned char) *p)) {
        p++;
        digits++;
    }
    if (*p == '.') {
        p++;
        while (isdigit ((unsigned char) *p)) {
            p++;
            digits++;
        }
    }
    if (digits == 0)
        return false;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!isdigit ((unsigned char) *p))
            return false;
        while (isdigit ((unsigned char) *p))
            p++;
    }
    return *p == 0;
}

START_TEST (test_parse_random)
{
    //  Random text: accepted exactly when the grammar says, with the
    //  value strtod finds, and canonical text that parses back the same
    static const char alphabet [] = "0123456789000.eE+- x";
    uint64_t state = 0x7e57ab1e5eedULL;
    int accepted = 0;
    for (int i = 0; i < 50000; i++) {
        char text [32];
        size_t size = s_random (&state) % 16;
        for (size_t j = 0; j < size; j++)
            text [j] = alphabet [s_random (&state) % (sizeof (alphabet) - 1)];
        text [size] = 0;
        zyn_decimal_t number;
        zyn_error_t err = { 0 };
        int rc = zyn_decimal_parse (&number, text, size, &err);
        if (!s_grammar_ok (text)) {
            if (rc != -1 || !streq (err.message, MSG_NAN))
                ck_abort_msg ("'%s' should not be a number", text);
            continue;
        }
        if (rc == -1) {
            if (!streq (err.message, MSG_PRECISION)
                && !streq (err.message, MSG_OVERFLOW)
                && !streq (err.message, MSG_UNDERFLOW))
                ck_abort_msg ("'%s' refused: %s", text, err.message);
            continue;
        }
        accepted++;
        double expected = strtod (text, NULL);
        double actual = zyn_decimal_to_double (&number);
        if (fabs (actual - expected) > fabs (expected) * 1e-12)
            ck_abort_msg ("'%s' is %.17g, not %.17g", text, actual, expected);
        char canonical [ZYN_DECIMAL_TEXT_MAX];
        size_t length = zyn_decimal_format (&number, canonical);
        zyn_decimal_t again;
        if (zyn_decimal_parse (&again, canonical, length, NULL)
            || memcmp (&again, &number, sizeof (number)))
            ck_abort_msg ("'%s' -> '%s' does not parse back", text,
                          canonical);
    }
    ck_assert_int_gt (accepted, 1000);
}
END_TEST

START_TEST (test_key_decode_random)
{
    //  Random bytes never crash the decoder; whatever it accepts encodes
    //  back to exactly the bytes it used
    uint64_t state = 0xdec0de5eedULL;
    int decoded_count = 0;
    for (int i = 0; i < 100000; i++) {
        uint8_t data [24];
        size_t size = s_random (&state) % sizeof (data);
        for (size_t j = 0; j < size; j++) {
            uint64_t r = s_random (&state);
            //  Bias towards plausible bytes
            data [j] = (uint8_t) (j == 0 ? 0x10 * (1 + r % 3)
                                 : r % 4 == 0 ? 0x00 : r % 4 == 1 ? 0xFF
                                 : r % 128);
        }
        zyn_decimal_t number;
        size_t used = zyn_decimal_decode_key (&number, data, size);
        if (used == 0)
            continue;
        decoded_count++;
        uint8_t again [ZYN_DECIMAL_KEY_MAX];
        size_t again_size = zyn_decimal_encode_key (&number, again);
        if (again_size != used || memcmp (again, data, used))
            ck_abort_msg ("decoded key %d does not encode back", i);
    }
    ck_assert_int_gt (decoded_count, 100);
}
END_TEST


//  --------------------------------------------------------------------------
//  Integers and doubles

START_TEST (test_int64)
{
    const int64_t values [] = {
        0, 1, -1, 7, 10, -10, 100, 1500, -1500, 123456789, 1000000000000,
        -999999999999, 9223372036854775807LL, -9223372036854775807LL,
        INT64_MIN, 4611686018427387904LL, 1000000000000000000LL,
    };
    for (size_t i = 0; i < sizeof (values) / sizeof (values [0]); i++) {
        zyn_decimal_t number;
        zyn_decimal_from_int64 (&number, values [i]);
        char out [ZYN_DECIMAL_TEXT_MAX];
        zyn_decimal_format (&number, out);
        char expected [32];
        snprintf (expected, sizeof (expected), "%" PRId64, values [i]);
        ck_assert_str_eq (out, expected);
        //  Same representation as parsing
        zyn_decimal_t parsed = s_number (expected);
        ck_assert_int_eq (memcmp (&number, &parsed, sizeof (number)), 0);
        int64_t back = 42;
        ck_assert_int_eq (zyn_decimal_to_int64 (&number, &back), 0);
        ck_assert (back == values [i]);
    }
    //  Not integers, or out of range
    const char *refused [] = {
        "1.5", "-0.1", "9223372036854775808", "-9223372036854775809",
        "1e19", "1e20", "1e125", "1e-130", "18446744073709551616",
        "100000000000000000000",
    };
    for (size_t i = 0; i < sizeof (refused) / sizeof (refused [0]); i++) {
        zyn_decimal_t number = s_number (refused [i]);
        int64_t back = 42;
        ck_assert_msg (zyn_decimal_to_int64 (&number, &back) == -1, "%s",
                       refused [i]);
        ck_assert (back == 42);
    }
    //  Integers written with an exponent or a fraction of zeros
    zyn_decimal_t number = s_number ("1.5e3");
    int64_t back;
    ck_assert_int_eq (zyn_decimal_to_int64 (&number, &back), 0);
    ck_assert (back == 1500);
    number = s_number ("-42.000");
    ck_assert_int_eq (zyn_decimal_to_int64 (&number, &back), 0);
    ck_assert (back == -42);
    number = s_number ("1e18");
    ck_assert_int_eq (zyn_decimal_to_int64 (&number, &back), 0);
    ck_assert (back == 1000000000000000000LL);
}
END_TEST

START_TEST (test_double)
{
    ck_assert (zyn_decimal_to_double (&(zyn_decimal_t) { 0 }) == 0.0);
    zyn_decimal_t number = s_number ("1.5");
    ck_assert (zyn_decimal_to_double (&number) == 1.5);
    number = s_number ("-1500");
    ck_assert (zyn_decimal_to_double (&number) == -1500.0);
    number = s_number ("0.001");
    ck_assert (fabs (zyn_decimal_to_double (&number) - 0.001) < 1e-18);
    number = s_number ("1e125");
    ck_assert (fabs (zyn_decimal_to_double (&number) / 1e125 - 1) < 1e-12);
    number = s_number ("-1e-130");
    ck_assert (fabs (zyn_decimal_to_double (&number) / -1e-130 - 1) < 1e-12);
    number = s_number ("3.1415926535897932384626433832795028841");
    ck_assert (fabs (zyn_decimal_to_double (&number) - M_PI) < 1e-15);
}
END_TEST


//  --------------------------------------------------------------------------
//  Item size

typedef struct {
    const char *input;
    size_t size;
} s_size_case_t;

static const s_size_case_t s_size_cases [] = {
    //  Measured on DynamoDB (see the module header)
    { "0", 1 },
    { "-0", 1 },
    { "0042", 2 },
    { "100", 2 },
    { "1010", 3 },
    { "0.0000001", 2 },
    { "1E125", 2 },
    { "1E-100", 2 },
    { "1.5", 3 },
    { "15", 2 },
    { "1.2", 3 },
    { "1.200", 3 },
    { "1.234", 4 },
    { "3.14159", 5 },
    { "123456", 4 },
    { "100.5", 4 },
    { "0.15", 2 },
    { "-42", 3 },
    { "11111e121", 4 },
    { "111111e120", 4 },
    { "1111111e119", 5 },
    { "11111111111111111111111111111111111111e88", 20 },
    //  Base-100 alignment from the point
    { "1", 2 },
    { "27", 2 },
    { "-27", 3 },
    { "461", 3 },
    { "150", 3 },
    { "1500", 2 },
    { "0.015", 3 },
    { "0.0015", 2 },
    { "10001", 4 },
    { "-1e-130", 3 },
    { "12345678901234567890123456789012345678", 20 },
    { "1.2345678901234567890123456789012345678", 21 },
    { "-1.2345678901234567890123456789012345678", 22 },
};

START_TEST (test_storage_size)
{
    size_t count = sizeof (s_size_cases) / sizeof (s_size_cases [0]);
    for (size_t i = 0; i < count; i++) {
        zyn_decimal_t number = s_number (s_size_cases [i].input);
        ck_assert_msg (zyn_decimal_storage_size (&number)
                           == s_size_cases [i].size,
                       "size of %s is %zu, not %zu", s_size_cases [i].input,
                       zyn_decimal_storage_size (&number),
                       s_size_cases [i].size);
    }
}
END_TEST


//  --------------------------------------------------------------------------
//  Key encoding

//  A random valid number: mostly short, sometimes 38 digits, exponents
//  clustered so that many share one, plus the range edges
static void
s_random_number (zyn_decimal_t *number, uint64_t *state)
{
    memset (number, 0, sizeof (*number));
    uint64_t kind = s_random (state) % 20;
    if (kind == 0)
        return;                 //  Zero
    number->negative = s_random (state) % 2;
    int ndigits;
    if (kind < 4)
        ndigits = 38;
    else
        ndigits = 1 + (int) (s_random (state) % 6);
    if (kind == 4)
        number->exponent = s_random (state) % 2 ? 126 : -129;
    else
    if (kind < 10)
        number->exponent = -129 + (int32_t) (s_random (state) % 256);
    else
        number->exponent = -2 + (int32_t) (s_random (state) % 6);
    for (int i = 0; i < ndigits; i++)
        number->digits [i] = (uint8_t) (s_random (state) % (kind < 15 ? 10
                                                                      : 2));
    number->digits [0] = number->digits [0] ? number->digits [0] : 1;
    while (ndigits > 0 && number->digits [ndigits - 1] == 0)
        ndigits--;
    number->ndigits = (uint8_t) ndigits;
}

typedef struct {
    zyn_decimal_t number;
    uint8_t key [ZYN_DECIMAL_KEY_MAX];
    size_t key_size;
} s_keyed_t;

static int
s_by_number (const void *a, const void *b)
{
    return zyn_decimal_compare (&((const s_keyed_t *) a)->number,
                                &((const s_keyed_t *) b)->number);
}

//  Bytewise order of two byte strings, a prefix first
static int
s_bytes_compare (const uint8_t *a, size_t a_size, const uint8_t *b,
                 size_t b_size)
{
    size_t common = a_size < b_size ? a_size : b_size;
    int rc = memcmp (a, b, common);
    if (rc)
        return rc;
    return (a_size > b_size) - (a_size < b_size);
}

START_TEST (test_key_order)
{
    const size_t count = 4000;
    s_keyed_t *keyed = calloc (count, sizeof (s_keyed_t));
    uint64_t state = 0x5eed2026cafef00dULL;
    for (size_t i = 0; i < count; i++) {
        s_random_number (&keyed [i].number, &state);
        //  Through text, as numbers arrive
        char text [ZYN_DECIMAL_TEXT_MAX];
        zyn_decimal_format (&keyed [i].number, text);
        zyn_decimal_t parsed = s_number (text);
        ck_assert_int_eq (memcmp (&parsed, &keyed [i].number, sizeof (parsed)),
                          0);
        keyed [i].key_size = zyn_decimal_encode_key (&keyed [i].number,
                                                     keyed [i].key);
        ck_assert_uint_ge (keyed [i].key_size, 1);
        ck_assert_uint_le (keyed [i].key_size, ZYN_DECIMAL_KEY_MAX);
        //  Decode round trip, also with trailing bytes after the key
        uint8_t padded [ZYN_DECIMAL_KEY_MAX + 4];
        memcpy (padded, keyed [i].key, keyed [i].key_size);
        memset (padded + keyed [i].key_size, 0x5A, 4);
        zyn_decimal_t decoded;
        ck_assert_uint_eq (zyn_decimal_decode_key (&decoded, padded,
                                                   keyed [i].key_size + 4),
                           keyed [i].key_size);
        ck_assert_int_eq (memcmp (&decoded, &keyed [i].number,
                                  sizeof (decoded)), 0);
        //  Every strict prefix is refused
        for (size_t cut = 0; cut < keyed [i].key_size; cut++)
            if (zyn_decimal_decode_key (&decoded, keyed [i].key, cut) != 0)
                ck_abort_msg ("a %zu-byte prefix of key %zu decoded", cut,
                              i);
    }
    qsort (keyed, count, sizeof (s_keyed_t), s_by_number);
    for (size_t i = 1; i < count; i++) {
        int by_number = zyn_decimal_compare (&keyed [i - 1].number,
                                             &keyed [i].number);
        int by_key = s_bytes_compare (keyed [i - 1].key,
                                      keyed [i - 1].key_size, keyed [i].key,
                                      keyed [i].key_size);
        ck_assert_int_le (by_number, 0);
        if (by_number == 0)
            ck_assert_int_eq (by_key, 0);
        else
            ck_assert_msg (by_key < 0, "key order broken at %zu", i);
    }
    //  Self-delimiting: no encoding is a strict prefix of another. In
    //  sorted order, keys that start with a key follow it directly, so
    //  checking each neighbour covers every pair.
    for (size_t i = 1; i < count; i++) {
        size_t size = keyed [i - 1].key_size;
        if (size < keyed [i].key_size
            && memcmp (keyed [i - 1].key, keyed [i].key, size) == 0)
            ck_abort_msg ("key %zu is a prefix of key %zu", i - 1, i);
    }
    free (keyed);
}
END_TEST

START_TEST (test_key_edges)
{
    //  A hand-picked ascending list, including the extremes
    const char *ascending [] = {
        "-9.9999999999999999999999999999999999999E+125",
        "-1e125",
        "-99999999999999999999999999999999999999",
        "-10",
        "-9.99",
        "-9.9",
        "-9",
        "-1.01",
        "-1.001",
        "-1",
        "-0.5",
        "-0.1",
        "-0.01",
        "-1.2345678901234567890123456789012345678E-130",
        "-1.1e-130",
        "-1e-130",
        "0",
        "1e-130",
        "1.0000000000000000000000000000000000001e-130",
        "1.1e-130",
        "0.01",
        "0.1",
        "0.5",
        "1",
        "1.0000000000000000000000000000000000001",
        "1.001",
        "1.01",
        "1.1",
        "9",
        "9.9",
        "9.99",
        "10",
        "10.1",
        "11",
        "99999999999999999999999999999999999999",
        "1e125",
        "9.9999999999999999999999999999999999998E+125",
        "9.9999999999999999999999999999999999999E+125",
    };
    size_t count = sizeof (ascending) / sizeof (ascending [0]);
    uint8_t previous [ZYN_DECIMAL_KEY_MAX];
    size_t previous_size = 0;
    for (size_t i = 0; i < count; i++) {
        zyn_decimal_t number = s_number (ascending [i]);
        uint8_t key [ZYN_DECIMAL_KEY_MAX];
        size_t key_size = zyn_decimal_encode_key (&number, key);
        if (i > 0)
            ck_assert_msg (s_bytes_compare (previous, previous_size, key,
                                            key_size) < 0,
                           "%s should sort before %s", ascending [i - 1],
                           ascending [i]);
        memcpy (previous, key, key_size);
        previous_size = key_size;
    }
    //  Exact bytes of a few encodings, which are stored on disk
    zyn_decimal_t number = s_number ("0");
    uint8_t key [ZYN_DECIMAL_KEY_MAX];
    ck_assert_uint_eq (zyn_decimal_encode_key (&number, key), 1);
    ck_assert_int_eq (key [0], 0x20);
    number = s_number ("1");
    ck_assert_uint_eq (zyn_decimal_encode_key (&number, key), 4);
    ck_assert_mem_eq (key, "\x30\x82\x0B\x00", 4);
    number = s_number ("-12.3");
    ck_assert_uint_eq (zyn_decimal_encode_key (&number, key), 5);
    ck_assert_mem_eq (key, "\x10\x7C\xF2\xE0\xFF", 5);
    //  The longest encoding
    number = s_number ("-1.2345678901234567890123456789012345678E-130");
    ck_assert_uint_eq (zyn_decimal_encode_key (&number, key), 22);
}
END_TEST

START_TEST (test_key_decode_invalid)
{
    zyn_decimal_t number;
    const struct {
        const char *data;
        size_t size;
    } invalid [] = {
        { "", 0 },
        { "\x00", 1 },              //  Unknown class
        { "\x31\x82\x0B\x00", 4 },  //  Unknown class
        { "\x30\x82", 2 },          //  Truncated
        { "\x30\x82\x0B", 3 },      //  No terminator
        { "\x30\x82\x00", 3 },      //  No digits
        { "\x30\x82\x65\x00", 4 },  //  Pair above 100
        { "\x30\x82\x01\x0B\x00", 5 },  //  Leading zero digit
        { "\x30\x82\x0B\x01\x00", 5 },  //  Trailing "00" pair
        { "\x10\x7D\xF4\xFF", 4 },  //  Negative, no terminator... see below
        { "\x10\x7D\xFF", 3 },      //  Negative, no digits
    };
    for (size_t i = 0; i < sizeof (invalid) / sizeof (invalid [0]); i++) {
        if (i == 9)
            continue;               //  A valid key, checked below
        ck_assert_msg (zyn_decimal_decode_key (&number,
                                               (const uint8_t *) invalid [i]
                                                   .data,
                                               invalid [i].size)
                           == 0,
                       "case %zu should be refused", i);
    }
    ck_assert_uint_eq (zyn_decimal_decode_key (&number,
                                               (const uint8_t *) invalid [9]
                                                   .data,
                                               4),
                       4);
    ck_assert (number.negative);
    //  Twenty pairs is more than 38 digits
    uint8_t too_long [24] = { 0x30, 0x82 };
    for (int i = 2; i < 22; i++)
        too_long [i] = 0x0C;
    too_long [22] = 0;
    ck_assert_uint_eq (zyn_decimal_decode_key (&number, too_long, 23), 0);
    ck_assert_uint_eq (zyn_decimal_decode_key (&number, NULL, 0), 0);
}
END_TEST


Suite *
zyn_decimal_suite (void)
{
    Suite *suite = suite_create ("zyn_decimal");
    TCase *tc = tcase_create ("normalize");
    tcase_add_test (tc, test_normalize);
    tcase_add_test (tc, test_parse_fields);
    tcase_add_test (tc, test_format_longest);
    suite_add_tcase (suite, tc);
    tc = tcase_create ("errors");
    tcase_add_test (tc, test_errors);
    tcase_add_test (tc, test_limits);
    tcase_add_test (tc, test_parse_random);
    suite_add_tcase (suite, tc);
    tc = tcase_create ("compare");
    tcase_add_test (tc, test_compare);
    suite_add_tcase (suite, tc);
    tc = tcase_create ("arithmetic");
    tcase_add_test (tc, test_arithmetic);
    tcase_add_test (tc, test_arithmetic_in_place);
    tcase_add_test (tc, test_arithmetic_random);
    suite_add_tcase (suite, tc);
    tc = tcase_create ("conversions");
    tcase_add_test (tc, test_int64);
    tcase_add_test (tc, test_double);
    tcase_add_test (tc, test_storage_size);
    suite_add_tcase (suite, tc);
    tc = tcase_create ("key_encoding");
    tcase_set_timeout (tc, 60);
    tcase_add_test (tc, test_key_order);
    tcase_add_test (tc, test_key_edges);
    tcase_add_test (tc, test_key_decode_invalid);
    tcase_add_test (tc, test_key_decode_random);
    suite_add_tcase (suite, tc);
    return suite;
}

ZYN_TEST_MAIN (zyn_decimal_suite)
