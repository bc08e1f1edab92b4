// sendmsg/recvmsg/sendmmsg/recvmmsg lines against strace 6.1's output, in the x86_64 and
// the i386 (compat32) layouts.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <catch2/catch.hpp>
#include <cstring>

#include "fake_memory.h"
#include "strace/format.h"

using hg::test::call;

namespace {

constexpr uint64_t kMsg = 0x7ffc91265000;
constexpr uint64_t kIov = 0x7ffc91265100;
constexpr uint64_t kData1 = 0x7ffc91265200;
constexpr uint64_t kData2 = 0x7ffc91265300;
constexpr uint64_t kControl = 0x7ffc91265400;
constexpr uint64_t kName = 0x7ffcb3163d30;

struct Msgs : hg::test::Tracee {
	// Two iovecs "abc" (3) and "de\nf" (4) plus control data, in the 64-bit layout.
	void putMessage(std::vector<uint8_t> control, uint64_t len2 = 4)
	{
		mem.putText(kData1, "abc");
		mem.putText(kData2, "de\nf");
		iovec iov[2] = { { reinterpret_cast<void *>(kData1), 3 }, { reinterpret_cast<void *>(kData2), len2 } };
		mem.putValue(kIov, iov);
		mem.put(kControl, control);
		msghdr m{};
		m.msg_iov = reinterpret_cast<iovec *>(kIov);
		m.msg_iovlen = 2;
		m.msg_control = control.empty() ? nullptr : reinterpret_cast<void *>(kControl);
		m.msg_controllen = control.size();
		mem.putValue(kMsg, m);
	}
};

// A control message of `level`/`type` carrying `data`, in the x86_64 layout.
template<typename T>
std::vector<uint8_t> cmsg(int level, int type, const T &data)
{
	std::vector<uint8_t> v(CMSG_SPACE(sizeof(T)));
	cmsghdr h{};
	h.cmsg_len = CMSG_LEN(sizeof(T));
	h.cmsg_level = level;
	h.cmsg_type = type;
	std::memcpy(v.data(), &h, sizeof(h));
	std::memcpy(v.data() + sizeof(h), &data, sizeof(T));
	return v;
}

std::vector<uint8_t> rights(int a, int b)
{
	const int fds[2] = { a, b };
	return cmsg(SOL_SOCKET, SCM_RIGHTS, fds);
}

std::vector<uint8_t> credentials(int pid)
{
	return cmsg(SOL_SOCKET, SCM_CREDENTIALS, ucred{ pid, 0, 0 });
}

const std::string kSentRights =
	"sendmsg(3, {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base=\"abc\", iov_len=3}, {iov_base=\"de\\nf\", iov_len=4}], "
	"msg_iovlen=2, msg_control=[{cmsg_len=24, cmsg_level=SOL_SOCKET, cmsg_type=SCM_RIGHTS, cmsg_data=[0, 1]}], "
	"msg_controllen=24, msg_flags=0}, MSG_DONTWAIT) = 7";

} // namespace

TEST_CASE("sendmsg with iovecs and SCM_RIGHTS", "[strace]")
{
	Msgs t;
	t.putMessage(rights(0, 1));
	CHECK(t.line(call("sendmsg", { 3, kMsg, MSG_DONTWAIT }), 7) == kSentRights);

	t.opt.strsize = 0;
	CHECK(t.line(call("sendmsg", { 3, kMsg, MSG_DONTWAIT }), 7) ==
	      "sendmsg(3, {msg_name=NULL, msg_namelen=0, msg_iov=[...], msg_iovlen=2, msg_control=[{cmsg_len=24, "
	      "cmsg_level=SOL_SOCKET, cmsg_type=SCM_RIGHTS, cmsg_data=[...]}], msg_controllen=24, msg_flags=0}, MSG_DONTWAIT) = 7");

	t.opt.strsize = 4;
	t.opt.decodeFds = true;
	t.fdPath = [](int fd) {
		return fd == 3 ? std::string("socket:[11949827]") : fd == 0 ? std::string("/dev/null") : std::string("/tmp/out");
	};
	CHECK(t.line(call("sendmsg", { 3, kMsg, MSG_DONTWAIT }), 7) ==
	      "sendmsg(3<socket:[11949827]>, {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base=\"abc\", iov_len=3}, "
	      "{iov_base=\"de\\nf\", iov_len=4}], msg_iovlen=2, msg_control=[{cmsg_len=24, cmsg_level=SOL_SOCKET, "
	      "cmsg_type=SCM_RIGHTS, cmsg_data=[0</dev/null>, 1</tmp/out>]}], msg_controllen=24, msg_flags=0}, MSG_DONTWAIT) = 7");

	CHECK(Msgs{}.line(call("sendmsg", { 3, 1, 0 }), -EFAULT) == "sendmsg(3, 0x1, 0)                = -1 EFAULT (Bad address)");
}

TEST_CASE("sendmsg with an address, without control data, with many iovecs", "[strace]")
{
	Msgs t;
	t.putMessage({});
	sockaddr_in dst{};
	dst.sin_family = AF_INET;
	dst.sin_port = htons(9);
	dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	t.mem.putValue(kName, dst);
	msghdr m{};
	m.msg_name = reinterpret_cast<void *>(kName);
	m.msg_namelen = sizeof(dst);
	m.msg_iov = reinterpret_cast<iovec *>(kIov);
	m.msg_iovlen = 2;
	t.mem.putValue(kMsg, m);
	CHECK(t.line(call("sendmsg", { 12, kMsg, 0 }), 7) ==
	      "sendmsg(12, {msg_name={sa_family=AF_INET, sin_port=htons(9), sin_addr=inet_addr(\"127.0.0.1\")}, msg_namelen=16, "
	      "msg_iov=[{iov_base=\"abc\", iov_len=3}, {iov_base=\"de\\nf\", iov_len=4}], msg_iovlen=2, msg_controllen=0, msg_flags=0}, 0) = 7");

	m.msg_namelen = 0;
	m.msg_iov = reinterpret_cast<iovec *>(1);
	m.msg_iovlen = 1;
	t.mem.putValue(kMsg, m);
	CHECK(t.line(call("sendmsg", { 9, kMsg, 0 }), -EFAULT) ==
	      "sendmsg(9, {msg_name=0x7ffcb3163d30, msg_namelen=0, msg_iov=0x1, msg_iovlen=1, msg_controllen=0, msg_flags=0}, 0) = -1 EFAULT (Bad address)");

	constexpr uint64_t kManyIov = 0x7ffc91266000;
	std::vector<iovec> many(40, iovec{ reinterpret_cast<void *>(kData1), 1 });
	t.mem.put(kManyIov, { reinterpret_cast<uint8_t *>(many.data()), reinterpret_cast<uint8_t *>(many.data() + many.size()) });
	m.msg_name = nullptr;
	m.msg_iov = reinterpret_cast<iovec *>(kManyIov);
	m.msg_iovlen = 40;
	t.mem.putValue(kMsg, m);
	t.mem.putText(kData1, "x");
	std::string iovs;
	for (int i = 0; i < 32; i++)
		iovs += "{iov_base=\"x\", iov_len=1}, ";
	CHECK(t.line(call("sendmsg", { 9, kMsg, 0 }), 40) ==
	      "sendmsg(9, {msg_name=NULL, msg_namelen=0, msg_iov=[" + iovs +
		      "...], msg_iovlen=40, msg_controllen=0, msg_flags=0}, 0) = 40");
}

TEST_CASE("recvmsg spreads the received bytes over the iovecs", "[strace]")
{
	Msgs t;
	std::vector<uint8_t> control = credentials(741);
	std::vector<uint8_t> r = rights(5, 6);
	control.insert(control.end(), r.begin(), r.end());
	t.putMessage(control, 64);
	t.mem.putText(kData1, "ab");
	t.mem.putText(kData2, "cde\nf");
	iovec iov[2] = { { reinterpret_cast<void *>(kData1), 2 }, { reinterpret_cast<void *>(kData2), 64 } };
	t.mem.putValue(kIov, iov);
	CHECK(t.line(call("recvmsg", { 4, kMsg, 0 }), 7) ==
	      "recvmsg(4, {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base=\"ab\", iov_len=2}, {iov_base=\"cde\\nf\", iov_len=64}], "
	      "msg_iovlen=2, msg_control=[{cmsg_len=28, cmsg_level=SOL_SOCKET, cmsg_type=SCM_CREDENTIALS, cmsg_data={pid=741, uid=0, gid=0}}, "
	      "{cmsg_len=24, cmsg_level=SOL_SOCKET, cmsg_type=SCM_RIGHTS, cmsg_data=[5, 6]}], msg_controllen=56, msg_flags=0}, 0) = 7");

	// Received 3 bytes: "ab" and "c"; a truncated SCM_CREDENTIALS has no data to show.
	std::vector<uint8_t> cut = credentials(741);
	cut.resize(24);
	cmsghdr h{};
	std::memcpy(&h, cut.data(), sizeof(h));
	h.cmsg_len = 24;
	std::memcpy(cut.data(), &h, sizeof(h));
	t.mem.put(kControl, cut);
	iov[1].iov_len = 1;
	t.mem.putValue(kIov, iov);
	msghdr m{};
	std::memcpy(&m, t.mem.read(kMsg, sizeof(m)).data(), sizeof(m));
	m.msg_controllen = 24;
	m.msg_flags = MSG_CTRUNC | MSG_TRUNC;
	t.mem.putValue(kMsg, m);
	CHECK(t.line(call("recvmsg", { 4, kMsg, 0 }), 3) ==
	      "recvmsg(4, {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base=\"ab\", iov_len=2}, {iov_base=\"c\", iov_len=1}], "
	      "msg_iovlen=2, msg_control=[{cmsg_len=24, cmsg_level=SOL_SOCKET, cmsg_type=SCM_CREDENTIALS}], msg_controllen=24, "
	      "msg_flags=MSG_CTRUNC|MSG_TRUNC}, 0) = 3");

	CHECK(t.line(call("recvmsg", { 4, kMsg, MSG_DONTWAIT }), -EAGAIN) ==
	      "recvmsg(4, {msg_namelen=0}, MSG_DONTWAIT) = -1 EAGAIN (Resource temporarily unavailable)");
}

TEST_CASE("recvmsg shows msg_namelen before => after", "[strace]")
{
	Msgs t;
	t.mem.putText(kData1, "hi");
	iovec iov{ reinterpret_cast<void *>(kData1), 8 };
	t.mem.putValue(kIov, iov);
	msghdr m{};
	m.msg_name = reinterpret_cast<void *>(kName);
	m.msg_namelen = 110;
	m.msg_iov = reinterpret_cast<iovec *>(kIov);
	m.msg_iovlen = 1;
	t.mem.putValue(kMsg, m);
	m.msg_namelen = 0;
	CHECK(t.line(call("recvmsg", { 11, kMsg, 0 }), 2, [&] { t.mem.putValue(kMsg, m); }) ==
	      "recvmsg(11, {msg_name=0x7ffcb3163d30, msg_namelen=110 => 0, msg_iov=[{iov_base=\"hi\", iov_len=8}], msg_iovlen=1, "
	      "msg_controllen=0, msg_flags=0}, 0) = 2");
}

TEST_CASE("sendmmsg and recvmmsg", "[strace]")
{
	Msgs t;
	t.mem.putText(kData1, "abc");
	t.mem.putText(kData2, "de\nf");
	iovec iov[2] = { { reinterpret_cast<void *>(kData1), 3 }, { reinterpret_cast<void *>(kData2), 4 } };
	t.mem.putValue(kIov, iov);
	mmsghdr mm[2]{};
	mm[0].msg_hdr.msg_iov = reinterpret_cast<iovec *>(kIov);
	mm[0].msg_hdr.msg_iovlen = 1;
	mm[0].msg_len = 3;
	mm[1].msg_hdr.msg_iov = reinterpret_cast<iovec *>(kIov + sizeof(iovec));
	mm[1].msg_hdr.msg_iovlen = 1;
	mm[1].msg_len = 4;
	t.mem.putValue(kMsg, mm);
	const std::string both =
		"[{msg_hdr={msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base=\"abc\", iov_len=3}], msg_iovlen=1, msg_controllen=0, "
		"msg_flags=0}, msg_len=3}, {msg_hdr={msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base=\"de\\nf\", iov_len=4}], "
		"msg_iovlen=1, msg_controllen=0, msg_flags=0}, msg_len=4}]";
	CHECK(t.line(call("sendmmsg", { 3, kMsg, 2, MSG_NOSIGNAL }), 2) == "sendmmsg(3, " + both + ", 2, MSG_NOSIGNAL) = 2");
	CHECK(t.line(call("recvmmsg", { 4, 0x7ffc91265680, 3, MSG_DONTWAIT, 0 }), -EAGAIN) ==
	      "recvmmsg(4, 0x7ffc91265680, 3, MSG_DONTWAIT, NULL) = -1 EAGAIN (Resource temporarily unavailable)");

	// recvmmsg prints the timeout as it was at entry, and what was left of it at exit.
	constexpr uint64_t kTimeout = 0x7ffc91265800;
	t.mem.putValue(kTimeout, timespec{ 1, 0 });
	CHECK(t.line(call("recvmmsg", { 4, kMsg, 3, MSG_WAITFORONE, kTimeout }), 1,
		     [&] { t.mem.putValue(kTimeout, timespec{ 0, 999997836 }); }) ==
	      "recvmmsg(4, [{msg_hdr={msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base=\"abc\", iov_len=3}], msg_iovlen=1, "
	      "msg_controllen=0, msg_flags=0}, msg_len=3}], 3, MSG_WAITFORONE, {tv_sec=1, tv_nsec=0}) = 1 "
	      "(left {tv_sec=0, tv_nsec=999997836})");

	t.opt.strsize = 0;
	CHECK(t.line(call("sendmmsg", { 3, kMsg, 2, MSG_NOSIGNAL }), 2) == "sendmmsg(3, [...], 2, MSG_NOSIGNAL) = 2");
	CHECK(t.line(call("sendmmsg", { 3, kMsg, 1, 0 }), 1) == "sendmmsg(3, [...], 1, 0)          = 1");
}

TEST_CASE("compat32 reads the i386 msghdr, iovec and cmsghdr layouts", "[strace]")
{
	// The same message as "sendmsg with iovecs and SCM_RIGHTS", laid out by 32-bit userspace.
	Msgs t;
	constexpr uint32_t kMsg32 = 0xffd01000, kIov32 = 0xffd01100, kD1 = 0xffd01200, kD2 = 0xffd01300, kCtl = 0xffd01400;
	t.mem.putText(kD1, "abc");
	t.mem.putText(kD2, "de\nf");
	const uint32_t iov[4] = { kD1, 3, kD2, 4 };
	t.mem.putValue(kIov32, iov);
	const uint32_t cmsg[5] = { 20, SOL_SOCKET, SCM_RIGHTS, 0, 1 };
	t.mem.putValue(kCtl, cmsg);
	const uint32_t m[7] = { 0, 0, kIov32, 2, kCtl, 20, 0 };
	t.mem.putValue(kMsg32, m);
	CHECK(t.line(call("sendmsg", { 3, kMsg32, MSG_DONTWAIT }, true), 7) ==
	      "sendmsg(3, {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base=\"abc\", iov_len=3}, {iov_base=\"de\\nf\", iov_len=4}], "
	      "msg_iovlen=2, msg_control=[{cmsg_len=20, cmsg_level=SOL_SOCKET, cmsg_type=SCM_RIGHTS, cmsg_data=[0, 1]}], "
	      "msg_controllen=20, msg_flags=0}, MSG_DONTWAIT) = 7");
}
