"""Public Contracts Scotland: the Scottish public sector's contract notices, above and below the threshold."""

from watchdog.sources.spiders.devolved import DevolvedPortalSpider


class PublicContractsScotlandSpider(DevolvedPortalSpider):
    name = "public_contracts_scotland"
    publisher = "Public Contracts Scotland"
    ocid_prefix = "ocds-r6ebe6-"
    base_url = "https://api.publiccontractsscotland.gov.uk"
    notice_site = "https://www.publiccontractsscotland.gov.uk"
