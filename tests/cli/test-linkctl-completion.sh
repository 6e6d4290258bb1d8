#!/bin/bash
# The bash completion: subcommands, options, and image names / MACs read from linkctl itself.
# bash-completion's helpers are replaced by minimal stand-ins so the test needs only bash.
. "$(dirname "$0")/lib.sh" "$@"
COMPLETION=$(dirname "$0")/../../linkctl/linkctl.bash-completion

mkimage win10.img
expect 0 image add win10 "$T/images/win10.img"
mkimage linux.img
expect 0 image add linux "$T/images/linux.img"
expect 0 client add 52:54:00:c0:00:01 --image win10
mkdir -p "$T/bin"
printf '#!/bin/sh\nexec "%s" --config "%s" "$@"\n' "$LINKCTL" "$T/linkmgr.conf" > "$T/bin/linkctl"
chmod +x "$T/bin/linkctl"

# complete WORDS...: the candidates for the last word
complete_words() {
    PATH="$T/bin:$PATH" bash -c '
        _init_completion() { cur=${COMP_WORDS[COMP_CWORD]}; prev=${COMP_WORDS[COMP_CWORD-1]}
                             words=("${COMP_WORDS[@]}"); cword=$COMP_CWORD; }
        _filedir() { COMPREPLY=(FILES); }
        . "$1"; shift
        COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
        _linkctl
        printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' _ "$COMPLETION" "$@"
}

eq "top level" "$(complete_words linkctl im)" "image "
eq "image subcommands" "$(complete_words linkctl image re)" "relocate remove rename "
eq "client subcommands" "$(complete_words linkctl client s)" "set show super "
eq "image names" "$(complete_words linkctl image show w)" "win10 "
eq "image names after --image" "$(complete_words linkctl client add 52:54:00:c0:00:02 --image w)" "win10 "
eq "macs" "$(complete_words linkctl client show 52)" "52:54:00:c0:00:01 "
eq "modes" "$(complete_words linkctl client add x --mode p)" "persistent "
eq "files for image add" "$(complete_words linkctl image add new "")" "FILES "
eq "global option value" "$(complete_words linkctl --config "")" "FILES "
eq "status options" "$(complete_words linkctl status --f)" "--follow "
eq "after a global option" "$(complete_words linkctl --json cl)" "client "

finish
