# bash completion for hermetic-gate(1)
_hermetic_gate()
{
	local cur prev sub i
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	sub=
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		--) return 0 ;; # the command of exec: the shell's own completion does better
		exec | run | validate | doctor | suggest | merge | strace) sub=${COMP_WORDS[i]}; break ;;
		esac
	done
	case $prev in
	--policy) COMPREPLY=($(compgen -f -X '!*.@(yml|yaml)' -- "$cur") $(compgen -d -- "$cur")); return 0 ;;
	--write) COMPREPLY=($(compgen -f -X '!*.@(yml|yaml)' -- "$cur") $(compgen -d -- "$cur")); return 0 ;;
	--out) COMPREPLY=($(compgen -d -- "$cur")); return 0 ;;
	--junit | --sarif | --codequality) COMPREPLY=($(compgen -f -- "$cur")); return 0 ;;
	--detector) COMPREPLY=($(compgen -W 'auto ptrace proc' -- "$cur")); return 0 ;;
	--progress) COMPREPLY=($(compgen -W 'auto always never' -- "$cur")); return 0 ;;
	--log-level) COMPREPLY=($(compgen -W 'trace debug info warn error off' -- "$cur")); return 0 ;;
	--allow-host | --allow-port | --allow-listen | --allow-delegated | --pass-fd | --timeout | --poll-interval | --progress-every | --sha | --step)
		return 0 ;;
	esac
	local common='-h --help -q --quiet --log-level -v --verbose'
	case $sub in
	exec) COMPREPLY=($(compgen -W "$common --allow-host --allow-port --allow-listen --allow-delegated --pass-fd --enforce --out --timeout --detector --strict --poll-interval --" -- "$cur")) ;;
	run) COMPREPLY=($(compgen -W "$common --policy --step --out --sha --audit --enforce --strict --detector --poll-interval --progress --progress-every --junit --sarif --codequality" -- "$cur")) ;;
	validate) COMPREPLY=($(compgen -W "-h --help -q --quiet --policy --log-level -v --verbose" -- "$cur")) ;;
	doctor) COMPREPLY=($(compgen -W "-h --help --log-level -v --verbose" -- "$cur")) ;;
	suggest)
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "$common --per-step --write" -- "$cur"))
		else
			COMPREPLY=($(compgen -f -X '!*.json' -- "$cur") $(compgen -d -- "$cur"))
		fi ;;
	merge)
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "$common --out" -- "$cur"))
		else
			COMPREPLY=($(compgen -d -- "$cur"))
		fi ;;
	strace)
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "-f -ff -o -e -s -y -q -qq -t -tt -ttt -h --help --seccomp-bpf --hermetic-live" -- "$cur"))
		elif [[ $prev == -e ]]; then
			COMPREPLY=($(compgen -W "trace=network trace=%network trace=%net trace=connect,sendto" -- "$cur"))
		elif [[ $prev == -o ]]; then
			COMPREPLY=($(compgen -f -- "$cur"))
		else
			COMPREPLY=($(compgen -c -- "$cur"))
		fi ;;
	*) COMPREPLY=($(compgen -W 'exec run validate doctor suggest merge strace --help --version' -- "$cur")) ;;
	esac
}
complete -F _hermetic_gate hermetic-gate
