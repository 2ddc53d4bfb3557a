package main

import (
	"fmt"
	"slices"
	"strings"
)

// ignoredOptions belong to mount(8), systemd or FUSE, not to b2mount:
// they are accepted and change nothing. mount(8) passes rw on its own,
// so rw must not turn writes on: only b2mount's read_write does.
// mount.fuse3 adds dev and suid (or keeps nodev, nosuid); user makes
// mount(8) add noexec, nosuid and nodev.
var ignoredOptions = []string{
	"rw", "defaults", "auto", "noauto", "user", "users", "nouser", "owner", "group", "_netdev", "nofail",
	"dev", "nodev", "suid", "nosuid", "exec", "noexec", "async",
	"atime", "noatime", "relatime", "strictatime", "diratime", "nodiratime", "lazytime",
	// b2mount turns it on with allow_other; without allow_other only
	// the mounting user gets in at all.
	"default_permissions",
}

// ignoredPrefixes start the names of other programs' options: systemd's
// x-systemd.automount, x-systemd.mount-timeout=..., any x-*, and
// comment=... for tools that read fstab.
var ignoredPrefixes = []string{"x-", "comment="}

// applyOptions applies one -o argument: options separated by commas, a
// comma in a value written "\,". Every long flag is an option, its name
// written with "_" (metadata_ttl=1m; "-" works too), a switch alone
// meaning true (allow_other); ro makes the mount read-only whatever else
// is given. An unknown option is an error, or with mount -s (sloppy) a
// warning.
func (cl *cmdline) applyOptions(list string, sloppy bool) error {
	for _, item := range splitOptions(list) {
		name, value, hasValue := strings.Cut(item, "=")
		switch {
		case item == "" || slices.Contains(ignoredOptions, item) ||
			slices.ContainsFunc(ignoredPrefixes, func(p string) bool { return strings.HasPrefix(item, p) }):
			continue
		case item == "ro":
			cl.readOnly = true
			continue
		}
		s := optionNamed(name)
		switch {
		case s == nil && sloppy:
			cl.warnings = append(cl.warnings, fmt.Sprintf("mount option %q ignored (mount -s)", name))
			continue
		case s == nil:
			return usageError(fmt.Sprintf("unknown mount option %q", name))
		case s.notOption || s.action:
			return usageError(fmt.Sprintf("%q is not a mount option", name))
		case !hasValue && s.arg != "":
			return usageError(fmt.Sprintf("mount option %s needs a value (%s=%s)", name, s.option(), s.arg))
		case !hasValue:
			value = "true"
		}
		cl.given[s.name] = given{value, "-o " + s.option()}
	}
	return nil
}

// optionNamed is the setting a mount option names, or nil.
func optionNamed(name string) *setting {
	name = strings.ReplaceAll(name, "_", "-")
	for _, s := range settings {
		if s.name == name || slices.Contains(s.aliases, name) {
			return s
		}
	}
	return nil
}

// splitOptions splits a -o argument at its commas; "\," is a comma inside
// a value and "\\" a backslash.
func splitOptions(list string) []string {
	var items []string
	var cur strings.Builder
	for i := 0; i < len(list); i++ {
		switch c := list[i]; {
		case c == '\\' && i+1 < len(list) && (list[i+1] == ',' || list[i+1] == '\\'):
			cur.WriteByte(list[i+1])
			i++
		case c == ',':
			items = append(items, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(c)
		}
	}
	return append(items, cur.String())
}
