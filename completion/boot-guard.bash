# bash completion for boot-guard(8)
#
# Command names come from the binary itself (urfave/cli's
# --generate-bash-completion); flags from `boot-guard COMMAND --help`. The
# binary is only ever asked for names: completion never runs a check or a hook.
# Hook names, kernel versions (/boot/vmlinuz-VERSION) and files are completed
# here.

# _boot_guard_reply COMPGEN-ARGS...: the words of compgen matching $cur, one
# per line (file names with spaces stay whole).
_boot_guard_reply() {
	mapfile -t COMPREPLY < <(compgen "$@" -- "$cur")
}

_boot_guard() {
	local cur prev cmd i
	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	local prog=${COMP_WORDS[0]}

	# The command is the first word after the program that is not a flag.
	cmd=
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-*) ;;
		*) cmd=${COMP_WORDS[i]}; break ;;
		esac
	done

	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			_boot_guard_reply -W '--help --version'
		else
			_boot_guard_reply -W "$("$prog" --generate-bash-completion 2>/dev/null)"
		fi
		return 0
	fi

	case $prev in
	--root)
		_boot_guard_reply -d
		return 0
		;;
	--initrd | --metrics-file)
		_boot_guard_reply -f
		return 0
		;;
	--module | --timeout)
		return 0
		;;
	esac

	if [[ $cur == -* && $cmd != hook ]]; then
		local flags
		flags=$("$prog" "$cmd" --help 2>/dev/null | grep -o -- '--[a-z][a-z-]*' | sort -u)
		_boot_guard_reply -W "$flags"
		return 0
	fi

	case $cmd in
	verify | requirements)
		local versions=() f
		for f in /boot/vmlinuz-*; do
			[[ -e $f ]] && versions+=("${f#/boot/vmlinuz-}")
		done
		_boot_guard_reply -W "${versions[*]}"
		;;
	ls | inspect)
		_boot_guard_reply -f
		;;
	hook)
		if [[ $prev == hook ]]; then
			_boot_guard_reply -W 'kernel-preinst kernel-postinst kernel-prerm kernel-install initramfs-post-update apt'
		fi
		;;
	esac
	return 0
}
complete -o bashdefault -o default -F _boot_guard boot-guard
