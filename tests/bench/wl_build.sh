#!/bin/sh
# small build: generates FILES C files (FUNCS functions each) and a Makefile in a temp
# folder, builds them with `make -jJOBS` and `${CC:-cc} -O2`, runs the result, removes
# the folder. Usage: wl_build.sh [FILES=20] [FUNCS=8] [JOBS=2]
set -eu
files=${1:-20}
funcs=${2:-8}
jobs=${3:-2}
cc=${CC:-cc}
dir=$(mktemp -d /tmp/hg-bench-build-XXXXXX)
trap 'rm -rf "$dir"' EXIT INT TERM

objs=""
i=0
while [ "$i" -lt "$files" ]; do
	{
		echo "#include <stdint.h>"
		j=0
		while [ "$j" -lt "$funcs" ]; do
			cat <<C
static uint64_t mix_${i}_${j}(uint64_t x)
{
	for (int k = 0; k < 16; k++) {
		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		x += (uint64_t)k * ${j}u + ${i}u;
	}
	return x;
}
C
			j=$((j + 1))
		done
		echo "uint64_t unit_${i}(uint64_t x)"
		echo "{"
		j=0
		while [ "$j" -lt "$funcs" ]; do
			echo "	x = mix_${i}_${j}(x);"
			j=$((j + 1))
		done
		echo "	return x;"
		echo "}"
	} > "$dir/unit_$i.c"
	objs="$objs unit_$i.o"
	i=$((i + 1))
done

{
	echo "#include <stdint.h>"
	echo "#include <stdio.h>"
	i=0
	while [ "$i" -lt "$files" ]; do
		echo "uint64_t unit_${i}(uint64_t);"
		i=$((i + 1))
	done
	echo "int main(void)"
	echo "{"
	echo "	uint64_t x = 1;"
	i=0
	while [ "$i" -lt "$files" ]; do
		echo "	x = unit_${i}(x);"
		i=$((i + 1))
	done
	printf '\tprintf("%%llu\\n", (unsigned long long)x);\n'
	echo "	return x == 0;"
	echo "}"
} > "$dir/main.c"

{
	echo "CC = $cc"
	echo "CFLAGS = -O2 -Wall"
	echo "OBJS = main.o$objs"
	echo "prog: \$(OBJS)"
	printf '\t$(CC) -o $@ $(OBJS)\n'
	echo "%.o: %.c"
	printf '\t$(CC) $(CFLAGS) -c -o $@ $<\n'
} > "$dir/Makefile"

make -s -C "$dir" -j"$jobs" prog >/dev/null
"$dir/prog" >/dev/null
