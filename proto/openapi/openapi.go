// Package openapi embeds the OpenAPI (Swagger 2.0) document generated from
// every zhbase proto, for the gateway to serve.
package openapi

import _ "embed"

// Document is the merged OpenAPI document of every zhbase REST route.
//
//go:embed zhbase.swagger.json
var Document []byte
