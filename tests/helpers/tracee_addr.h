// The socket address of the tracees of tests/helpers (dnsprobe.c, selfserve.c): an IPv4 or
// IPv6 address with a port, parsed from its numeric text. Static inline: each tracee is one
// translation unit and keeps no library of its own.
#ifndef HG_TESTS_HELPERS_TRACEE_ADDR_H
#define HG_TESTS_HELPERS_TRACEE_ADDR_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

struct Addr {
	struct sockaddr_storage ss;
	socklen_t len;
};

// Fills a with the numeric IPv4 or IPv6 address text and port (host order); 1 on success,
// 0 when text is neither.
static inline int parseAddr(const char *text, uint16_t port, struct Addr *a)
{
	memset(a, 0, sizeof(*a));
	struct sockaddr_in *in4 = (struct sockaddr_in *)&a->ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&a->ss;
	if (inet_pton(AF_INET, text, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(port);
		a->len = sizeof(*in4);
		return 1;
	}
	if (inet_pton(AF_INET6, text, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		a->len = sizeof(*in6);
		return 1;
	}
	return 0;
}

#endif
