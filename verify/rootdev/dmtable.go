package rootdev

import "io/fs"

// TableReader is a /sys that also reads the live table of a device-mapper
// device, as `dmsetup table` prints it: one line per target, "START LENGTH
// TARGET PARAMS". A crypt target's key is never in it (its field is "-").
// HostSys returns one for the running machine; tests hand their own.
type TableReader interface {
	fs.FS
	// DMTable returns the table of the device with major:minor majMin.
	DMTable(majMin string) (string, error)
}
