#include "evidence/atomic_file.h"

#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "base/unique_fd.h"

namespace hg {

namespace {

std::string dirOf(const std::string &path)
{
	auto slash = path.rfind('/');
	if (slash == std::string::npos)
		return ".";
	if (slash == 0)
		return "/";
	return path.substr(0, slash);
}

std::string baseOf(const std::string &path)
{
	auto slash = path.rfind('/');
	return slash == std::string::npos ? path : path.substr(slash + 1);
}

Expected<void> writeAll(int fd, std::string_view data, const std::string &path)
{
	while (!data.empty()) {
		ssize_t n = ::write(fd, data.data(), data.size());
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return Error::fromErrno("write(" + path + ")");
		}
		data.remove_prefix(static_cast<size_t>(n));
	}
	return {};
}

} // namespace

Expected<void> fsyncDir(const std::string &dir)
{
	UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	if (!fd)
		return Error::fromErrno("open(" + dir + ", O_DIRECTORY)");
	if (::fsync(fd.get()) < 0)
		return Error::fromErrno("fsync(" + dir + ")");
	return {};
}

Expected<void> writeFileAtomic(const std::string &path, std::string_view content)
{
	std::string dir = dirOf(path);
	std::string tmp = dir + "/." + baseOf(path) + ".XXXXXX";
	UniqueFd fd(::mkostemp(tmp.data(), O_CLOEXEC));
	if (!fd)
		return Error::fromErrno("mkostemp(" + tmp + ")");

	auto fail = [&](Error err) -> Expected<void> {
		::unlink(tmp.c_str());
		return err;
	};

	// mkstemp creates 0600; evidence is meant to be read by whoever collects artifacts.
	if (::fchmod(fd.get(), 0644) < 0)
		return fail(Error::fromErrno("fchmod(" + tmp + ", 0644)"));
	auto written = writeAll(fd.get(), content, tmp);
	if (!written)
		return fail(written.error());
	if (::fsync(fd.get()) < 0)
		return fail(Error::fromErrno("fsync(" + tmp + ")"));
	if (::close(fd.release()) < 0)
		return fail(Error::fromErrno("close(" + tmp + ")"));
	if (::rename(tmp.c_str(), path.c_str()) < 0)
		return fail(Error::fromErrno("rename(" + tmp + ", " + path + ")"));
	return fsyncDir(dir);
}

Expected<void> publishFile(const std::string &from, const std::string &to, Durability durability)
{
	UniqueFd fd(::open(from.c_str(), O_RDONLY | O_CLOEXEC));
	if (!fd) {
		if (errno != ENOENT)
			return Error::fromErrno("open(" + from + ")");
		// Nothing was streamed: keep a `to` the caller wrote itself, else publish an
		// empty file so every step has the same set of logs.
		if (::access(to.c_str(), F_OK) == 0)
			return {};
		return writeFileAtomic(to, "");
	}
	if (durability == Durability::Flushed && ::fsync(fd.get()) < 0)
		return Error::fromErrno("fsync(" + from + ")");
	if (::rename(from.c_str(), to.c_str()) < 0)
		return Error::fromErrno("rename(" + from + ", " + to + ")");
	return {};
}

Expected<void> makeDirs(const std::string &dir)
{
	if (dir.empty())
		return Error::msg("mkdir(''): empty directory name");
	struct stat st;
	if (::stat(dir.c_str(), &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return {};
		errno = ENOTDIR;
		return Error::fromErrno("mkdir(" + dir + ")");
	}
	if (errno != ENOENT)
		return Error::fromErrno("stat(" + dir + ")");

	std::string parent = dirOf(dir);
	if (parent != dir) {
		auto up = makeDirs(parent);
		if (!up)
			return up;
	}
	if (::mkdir(dir.c_str(), 0755) < 0 && errno != EEXIST)
		return Error::fromErrno("mkdir(" + dir + ")");
	return fsyncDir(parent);
}

Expected<void> copyFileDurable(const std::string &from, const std::string &to)
{
	UniqueFd in(::open(from.c_str(), O_RDONLY | O_CLOEXEC));
	if (!in)
		return Error::fromErrno("open(" + from + ")");
	UniqueFd out(::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
	if (!out)
		return Error::fromErrno("open(" + to + ", O_CREAT|O_EXCL)");
	// sendfile(2) copies between any two files (copy_file_range may refuse across file systems).
	for (;;) {
		ssize_t n = ::sendfile(out.get(), in.get(), nullptr, size_t{ 1 } << 30);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return Error::fromErrno("sendfile(" + to + ", " + from + ")");
		if (n == 0)
			break;
	}
	if (::fsync(out.get()) < 0)
		return Error::fromErrno("fsync(" + to + ")");
	return {};
}

Expected<std::string> makeTempDirBeside(const std::string &path)
{
	std::string tmp = dirOf(path) + "/." + baseOf(path) + ".XXXXXX";
	if (!::mkdtemp(tmp.data()))
		return Error::fromErrno("mkdtemp(" + tmp + ")");
	if (::chmod(tmp.c_str(), 0755) < 0)
		return Error::fromErrno("chmod(" + tmp + ", 0755)");
	return tmp;
}

Expected<void> publishDir(const std::string &from, const std::string &path)
{
	auto synced = fsyncDir(from);
	if (!synced)
		return synced;
	if (::rename(from.c_str(), path.c_str()) < 0)
		return Error::fromErrno("rename(" + from + ", " + path + ")");
	return fsyncDir(dirOf(path));
}

} // namespace hg
