/* Unit tests for linkmgr/lib/error.c: the message convention. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "error.h"

/* A message that quotes the previous one (the usual "object: %s", bl_last_error()) keeps it:
 * formatting straight into the buffer it read from garbled both. */
static void message_quotes_the_previous_one(void **state)
{
	(void)state;
	assert_int_equal(bl_fail(-ENOENT, "image file %s: does not exist", "/srv/x.img"), -ENOENT);
	assert_int_equal(bl_fail(-EINVAL, "client %s: %s (see `linkctl image list`)", "aa",
				 bl_last_error()), -EINVAL);
	assert_string_equal(bl_last_error(), "client aa: image file /srv/x.img: does not exist "
					     "(see `linkctl image list`)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(message_quotes_the_previous_one),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
