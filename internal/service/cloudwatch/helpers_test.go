package cloudwatch

import "github.com/niwa-cloud/niwa/internal/storage"

type storageTx = storage.Tx

var storageListAll = storage.ListOptions{}
