package storage

// DeletePrefix removes every key that starts with prefix, as services do
// when a container (a table, a queue, a log group) goes and takes its
// records with it. It deletes while scanning, which Tx allows, so it needs
// no memory for the keys. An empty prefix is refused with ErrKeyRequired:
// it would wipe the whole store, which no caller means.
func DeletePrefix(tx Tx, prefix []byte) error {
	if len(prefix) == 0 {
		return ErrKeyRequired
	}
	var derr error
	if err := tx.Scan(prefix, ScanOptions{}, func(k, _ []byte) bool {
		derr = tx.Delete(k)
		return derr == nil
	}); err != nil {
		return err
	}
	return derr
}
