package redis

// WebhookLeaseKey is the Redis key of the webhook dispatcher's lease
// (Lease): only its holder delivers, so that a delivery is not sent once
// by every web replica.
const WebhookLeaseKey = "lapor:webhooks:dispatcher"
