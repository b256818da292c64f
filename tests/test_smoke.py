async def test_create_and_read_customer(org):
    data = await org.gql(
        """mutation($input: CustomerCreateInput!) { customerCreate(input: $input) {
            customer { id email isLead timeline(first: 5) { edges { node { kind } } } }
            userErrors { field message code } } }""",
        {"input": {"websiteId": org.website_id, "firstName": "Ada", "emails": [{"value": "ada@example.com"}]}},
    )
    assert data["customerCreate"]["userErrors"] == []
    c = data["customerCreate"]["customer"]
    assert c["email"] == "ada@example.com"
