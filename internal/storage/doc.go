// Package storage is the one persistence layer every niwa service uses: an
// ordered key-value store with serializable write transactions and prefix
// scans, plus a blob store for large bodies. Having a single mechanism means
// durability, reset, isolation and crash behaviour are solved (and tested)
// once instead of once per service.
//
// # Backends
//
// [Open] with an empty [Options.DataDir] returns the memory backend, so a
// default run starts clean and leaves nothing behind. With a data dir it
// returns the durable backend on bbolt, one file per store, so that an
// acknowledged write survives kill -9 and a restart serves the same state.
// Both backends pass the same conformance suite; services must not be able to
// tell them apart except by what survives a restart.
//
// A [Backend] holds named stores, one per service ("iam", "s3", "sqs"), so a
// slow write in one service never waits behind another service's writer.
// Transactions never span stores: anything that must commit atomically must
// live in the same store.
//
// # Key layout
//
// Keys are tuples encoded with [Key] so that byte order equals tuple order
// and a [Prefix] of whole parts selects exactly the keys under it. Every
// service key starts with the account and the region:
//
//	Key(account, region, "role", roleName)
//
// because every AWS resource lives in an account, nearly every one in a
// region, and isolation between accounts and regions must fall out of the key
// layout rather than out of each service's care. [Scope] makes that the easy
// path: scope.Key("role", roleName). Global resources (IAM, Route53,
// CloudFront, the S3 bucket namespace) use the region "" — see [Global] —
// so they still sort under their account and a per-account prefix finds them.
//
// # Blobs
//
// Large bodies (S3 objects, Lambda zips) never go into the KV store and never
// sit whole in memory: they stream into a [BlobStore] and a KV record keeps
// the [BlobRef]. The reference is the service's business. The safe order is:
// write and commit the blob, then commit the KV record that references it;
// to drop one, commit the KV change that removes the reference first and
// delete the blob after that commit succeeds. A crash between the two steps
// then leaks an unreferenced blob at worst, never a record pointing at a
// missing body.
//
// # Records
//
// [Table] stores records as JSON, or in the compact binary form when the
// record type implements [BinaryRecord]; the first byte tells the forms
// apart ([RecordV1]) and every reader accepts both, so stored data written
// by an older niwa needs no migration step: each record turns binary when
// it is next written.
//
// # Panics
//
// A panic inside View or Update rolls the transaction back and then keeps
// unwinding: storage does not turn bugs into errors, the gateway's recovery
// does that for the whole request.
package storage
