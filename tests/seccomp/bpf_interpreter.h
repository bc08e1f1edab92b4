#pragma once
// A classic-BPF interpreter for seccomp programs, so tests can run the gate's filter on
// any (arch, nr, args), including ABIs this kernel cannot execute (i386, x32, others).
// Covers the instructions a seccomp filter may use (kernel seccomp_check_filter()).

#include <linux/filter.h>
#include <linux/seccomp.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

inline uint32_t runSeccompBpf(const std::vector<sock_filter> &prog, const seccomp_data &data)
{
	uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = {};
	const auto *bytes = reinterpret_cast<const uint8_t *>(&data);
	for (size_t pc = 0; pc < prog.size(); pc++) {
		const sock_filter &f = prog[pc];
		switch (f.code) {
		case BPF_LD | BPF_W | BPF_ABS:
			if (f.k + 4 > sizeof(data) || f.k % 4)
				throw std::runtime_error("bad load offset " + std::to_string(f.k));
			std::memcpy(&a, bytes + f.k, 4);
			break;
		case BPF_LD | BPF_W | BPF_LEN:
			a = sizeof(data);
			break;
		case BPF_LD | BPF_IMM:
			a = f.k;
			break;
		case BPF_LDX | BPF_IMM:
			x = f.k;
			break;
		case BPF_LD | BPF_MEM:
			a = mem[f.k];
			break;
		case BPF_LDX | BPF_MEM:
			x = mem[f.k];
			break;
		case BPF_ST:
			mem[f.k] = a;
			break;
		case BPF_STX:
			mem[f.k] = x;
			break;
		case BPF_ALU | BPF_AND | BPF_K:
			a &= f.k;
			break;
		case BPF_ALU | BPF_OR | BPF_K:
			a |= f.k;
			break;
		case BPF_ALU | BPF_ADD | BPF_K:
			a += f.k;
			break;
		case BPF_ALU | BPF_SUB | BPF_K:
			a -= f.k;
			break;
		case BPF_ALU | BPF_RSH | BPF_K:
			a >>= f.k;
			break;
		case BPF_ALU | BPF_LSH | BPF_K:
			a <<= f.k;
			break;
		case BPF_MISC | BPF_TAX:
			x = a;
			break;
		case BPF_MISC | BPF_TXA:
			a = x;
			break;
		case BPF_JMP | BPF_JA:
			pc += f.k;
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
			pc += (a == f.k) ? f.jt : f.jf;
			break;
		case BPF_JMP | BPF_JGT | BPF_K:
			pc += (a > f.k) ? f.jt : f.jf;
			break;
		case BPF_JMP | BPF_JGE | BPF_K:
			pc += (a >= f.k) ? f.jt : f.jf;
			break;
		case BPF_JMP | BPF_JSET | BPF_K:
			pc += (a & f.k) ? f.jt : f.jf;
			break;
		case BPF_JMP | BPF_JEQ | BPF_X:
			pc += (a == x) ? f.jt : f.jf;
			break;
		case BPF_JMP | BPF_JGT | BPF_X:
			pc += (a > x) ? f.jt : f.jf;
			break;
		case BPF_JMP | BPF_JGE | BPF_X:
			pc += (a >= x) ? f.jt : f.jf;
			break;
		case BPF_RET | BPF_K:
			return f.k;
		case BPF_RET | BPF_A:
			return a;
		default:
			throw std::runtime_error("unsupported BPF opcode " + std::to_string(f.code));
		}
	}
	throw std::runtime_error("fell off the end of the program");
}
