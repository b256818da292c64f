"""The GraphQL contract: types, inputs, enums, payloads and scalars. No I/O."""
