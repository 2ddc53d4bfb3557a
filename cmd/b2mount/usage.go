package main

import (
	"fmt"
	"io"
	"strings"
)

const usageHead = `b2mount mounts a Backblaze B2 bucket (or any S3 bucket) as a folder: read-only,
or read-write with --read-write.

Usage:
  b2mount [flags] BUCKET[:PREFIX] MOUNTPOINT
  b2mount --demo MOUNTPOINT      mount the bundled sample bucket, served in-process
  mount -t fuse.b2mount BUCKET[:PREFIX] MOUNTPOINT -o OPTION,...
                                 (or an fstab line) with /sbin/mount.fuse.b2mount
                                 linked to b2mount: returns once mounted and
                                 serves in the background; so does
                                 b2mount BUCKET[:PREFIX] MOUNTPOINT -o OPTION,...

Every flag is also a mount option: --metadata-ttl 5m is -o metadata_ttl=5m,
--allow-other is -o allow_other. mount(8)'s and systemd's own options are
ignored; rw does not turn writes on (read_write does), ro wins.

Each setting comes from its flag, else from the environment, else from a
.env file (./.env when present, or --env-file PATH), else its default.
"env:" lists the names read in the environment and the .env file, in order.
Values still holding a "<ENTER ...>" placeholder are ignored; --debug logs
where every setting came from.

Flags:
`

// usage writes the help: the text above, every setting of the table, and
// where the key comes from.
func usage(w io.Writer) {
	fmt.Fprint(w, usageHead)
	const indent = 26 // columns before a flag's help
	for _, s := range settings {
		flag := "  --" + s.name
		if s.arg != "" {
			flag += " " + s.arg
		}
		if len(flag) > indent-2 {
			fmt.Fprintln(w, flag)
			flag = ""
		}
		var more []string
		switch d := defaultText(s); d {
		case "":
		case "required":
			more = append(more, d)
		default:
			more = append(more, "default: "+d)
		}
		for _, a := range s.aliases {
			more = append(more, "also --"+a)
		}
		text := s.help
		if len(more) > 0 {
			text += " (" + strings.Join(more, "; ") + ")"
		}
		if len(s.env) > 0 {
			text += "\nenv: " + strings.Join(s.env, ", ")
		}
		for i, line := range wrap(text, 79-indent) {
			if i > 0 {
				flag = ""
			}
			fmt.Fprintf(w, "%-*s%s\n", indent, flag, line)
		}
	}
	fmt.Fprint(w, "\nThe key (never a flag, so that ps cannot show it) is the first complete pair of\n")
	for _, p := range keyPairNames {
		pair := p.id + " / " + p.secret
		if p.note != "" {
			pair = fmt.Sprintf("%-52s (%s)", pair, p.note)
		}
		fmt.Fprintf(w, "  %s\n", pair)
	}
	fmt.Fprint(w, `in the environment, then in the .env file; else AWS_PROFILE (--profile) and
~/.aws through the AWS SDK's default chain. The key needs listFiles and
readFiles. Secrets are never logged.
`)
}

// wrap breaks text into lines of at most width bytes at spaces (a longer
// word gets a line of its own), and at every newline.
func wrap(text string, width int) []string {
	var lines []string
	for _, para := range strings.Split(text, "\n") {
		line := ""
		for _, word := range strings.Fields(para) {
			if line != "" && len(line)+1+len(word) > width {
				lines = append(lines, line)
				line = ""
			}
			if line != "" {
				line += " "
			}
			line += word
		}
		lines = append(lines, line)
	}
	return lines
}

// defaultText is a setting's default as --help and the README show it.
func defaultText(s *setting) string {
	switch {
	case s.defText != "":
		return s.defText
	case s.arg == "" && s.def == "false":
		return "" // a switch is off unless given
	}
	return s.def
}
