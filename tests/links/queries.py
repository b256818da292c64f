"""GraphQL operations shared by the links tests."""

PORTAL = """mutation($input: BillingPortalCreateInput!) { billingPortalCreate(input: $input) {
  billingPortal { id } userErrors { field code } } }"""
PORTAL_LINK = """mutation($input: BillingPortalLinkCreateInput!) { billingPortalLinkCreate(input: $input) {
  billingPortalLink { id url } userErrors { field code } } }"""
SETUP_LINK = """mutation($input: PaymentInstrumentSetupLinkCreateInput!) { paymentInstrumentSetupLinkCreate(input: $input) {
  setupLink { id url status paymentInstrumentId } userErrors { field code } } }"""
INSTRUMENTS = """query($id: ID!) { customer(id: $id) { address { line1 city country postalCode }
  paymentInstruments { id status method } defaultPaymentInstrument { id } } }"""
