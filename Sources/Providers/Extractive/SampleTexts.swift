/// Ten sample support tickets and articles, written for understudy, that the demo, the tests and
/// the benchmarks summarize. Fixed text: summaries of them are stable across releases unless the
/// summarizer changes.
package enum SampleTexts {
    /// All samples, in a fixed order.
    package static let all: [SampleText] = [
        SampleText(
            id: "ticket-login-loop",
            title: "Login loop after password reset",
            text: """
                Subject: Stuck in a login loop after resetting my password
                Hi team, since resetting my password yesterday I cannot get into the dashboard. \
                Every time I enter the new password the page reloads and shows the login form again. \
                There is no error message, the form is simply empty again. \
                I tried Chrome and Firefox, cleared cookies, and disabled my ad blocker, with the same result. \
                My colleague on the same account can log in without any problem. \
                We have a customer demo on Thursday and I need access to the reports before then. \
                The account email is the one this ticket comes from. \
                Could you check whether my session is being rejected, or whether the reset left my account in a bad state? \
                Thanks for the quick help.
                """
        ),
        SampleText(
            id: "ticket-double-charge",
            title: "Charged twice for the annual plan",
            text: """
                Subject: Double charge on our card for the annual plan
                Hello, our company card was charged twice for the annual Business plan on March 3. \
                Both charges show the same amount and the same invoice number prefix. \
                We only have one workspace and one subscription, and the billing page lists a single active plan. \
                Our finance team needs the duplicate charge refunded before the end of the month, when they close the books. \
                I have attached screenshots of the two card transactions and of the billing page. \
                Please confirm which charge will be refunded and how long the refund will take to appear. \
                If you need the last four digits of the card or the billing address, I can send them through the secure form. \
                We are otherwise happy with the product and want this resolved quickly.
                """
        ),
        SampleText(
            id: "ticket-export-timeout",
            title: "CSV export times out on large projects",
            text: """
                Subject: CSV export fails with a timeout for our largest project
                The CSV export works for small projects but fails for our main project, which has about 180,000 rows. \
                After roughly sixty seconds the browser shows a gateway timeout and no file is downloaded. \
                We started seeing this last week; the same export worked in January when the project had 120,000 rows. \
                We need the export every Monday for a regulatory report, so this is blocking us. \
                Is there a way to run the export in the background and receive the file by email? \
                Alternatively, can the API export endpoint be used with pagination for a project this size? \
                We tried filtering by date to make the export smaller, but the filter seems to be ignored in the export. \
                Please advise on a workaround this week.
                """
        ),
        SampleText(
            id: "ticket-sso-setup",
            title: "SAML single sign-on rejects users",
            text: """
                Subject: SAML SSO setup rejects every user with an audience error
                We are configuring SAML single sign-on with our identity provider and every login attempt fails. \
                The error page says the audience in the assertion does not match the expected value. \
                We copied the entity ID from your settings page into the identity provider exactly as shown. \
                The certificate was uploaded yesterday and the settings page shows it as valid until 2027. \
                Our identity provider logs show that the assertion is issued and signed correctly. \
                We would like to enforce SSO for all 240 employees by the first of next month. \
                Could you look at the failed attempts from our tenant and tell us which audience value you expect? \
                We can share a sanitized copy of the assertion if that helps.
                """
        ),
        SampleText(
            id: "ticket-api-rate-limit",
            title: "Unexpected 429 responses from the API",
            text: """
                Subject: Getting 429 Too Many Requests far below our documented limit
                Our integration started receiving 429 Too Many Requests responses this morning. \
                According to our plan we are allowed 600 requests per minute, and our logs show we send about 150. \
                The responses include a retry-after header of 30 seconds, which stalls our sync job. \
                Nothing changed on our side; the same job has run every hour for six months. \
                We use a single API key from two servers behind a NAT, so all calls come from one IP address. \
                Is there an IP based limit in addition to the key based one, or was our plan downgraded? \
                The sync delays are now affecting our customers, who see stale inventory counts. \
                Please check the rate limit settings for our account.
                """
        ),
        SampleText(
            id: "article-retry-budgets",
            title: "Why retry budgets beat retry counts",
            text: """
                Retries are the cheapest reliability feature to add and the easiest one to get wrong. \
                A fixed retry count per request looks harmless, but during an outage every client multiplies its load by the number of retries. \
                A service that is already struggling then receives three or four times its normal traffic, and recovery takes longer. \
                A retry budget limits retries to a fraction of recent successful traffic, for example ten percent. \
                When the dependency is healthy, the budget is rarely touched and individual failures are still retried. \
                When the dependency is down, the budget runs out quickly and clients stop adding load. \
                Budgets work well together with circuit breakers, which stop calls entirely after repeated failures. \
                The combination keeps latency predictable for users and gives the failing service room to recover. \
                Teams that adopt budgets usually find that their incident graphs become flatter and shorter.
                """
        ),
        SampleText(
            id: "article-batch-summaries",
            title: "Summarizing support tickets in batch",
            text: """
                Many support teams now summarize every incoming ticket before an agent opens it. \
                The summary gives the agent the customer's problem, what they already tried, and what they need, in three sentences. \
                Because tickets arrive continuously, the work is usually done in batches from a queue rather than in the request path. \
                Batch processing tolerates a few seconds of latency, but it does not tolerate losing tickets. \
                When the model provider has an outage, the queue grows and agents start working without summaries. \
                A backup provider, or even a simple extractive summary, keeps the workflow moving during such outages. \
                The important property is that every ticket gets exactly one summary, even when calls are retried. \
                Idempotent writes keyed by ticket id make this easy to guarantee.
                """
        ),
        SampleText(
            id: "ticket-mobile-crash",
            title: "Mobile app crashes when opening attachments",
            text: """
                Subject: iOS app crashes when opening PDF attachments
                Since updating the mobile app to version 5.2 this week, it crashes whenever I open a PDF attachment in a conversation. \
                Images open fine, and PDFs open fine on the web app. \
                The crash happens immediately, before the preview screen appears. \
                I am on an iPhone 13 with the latest iOS update, and I reinstalled the app twice. \
                Three other people on my team have the same problem on different phones. \
                We rely on the mobile app when visiting customers, so this is a serious problem for us. \
                Is there a known issue with version 5.2, and is there a way to install the previous version meanwhile? \
                I can send a crash report if you tell me where to find it.
                """
        ),
        SampleText(
            id: "article-kafka-offsets",
            title: "Committing offsets after the work is done",
            text: """
                A consumer that commits its offset before finishing the work can lose messages when it crashes. \
                A consumer that commits after the work can process a message twice, but never loses one. \
                For most business workloads, processing twice is acceptable if the effect is idempotent. \
                Transactions let a consumer publish its results and commit its input offsets atomically. \
                With transactions, downstream readers using read committed isolation never see results of an aborted attempt. \
                The cost is some latency per transaction and more careful handling of rebalances. \
                During a rebalance, in-flight work for revoked partitions must either finish and commit or be abandoned cleanly. \
                Getting this right is what separates a demo pipeline from one that can run unattended for months.
                """
        ),
        SampleText(
            id: "ticket-data-residency",
            title: "Data residency question before renewal",
            text: """
                Subject: Where is our data stored, and can we move it to the EU region?
                We are preparing our contract renewal and our legal team has asked where our workspace data is stored. \
                Our workspace was created in 2021, before you offered an EU region. \
                We now have customers in Germany and France who require that their data stays in the European Union. \
                Can you confirm the current storage region for our workspace and for backups? \
                If the data is in the United States, what is the process and timeline to migrate it to the EU region? \
                We also need to know whether attachments and search indexes move with the rest of the data. \
                Our renewal date is in six weeks, so we would appreciate an answer within two weeks. \
                A call with your security team would also be welcome.
                """
        ),
    ]

    /// The sample with `id`, if any.
    package static func sample(id: String) -> SampleText? {
        all.first { $0.id == id }
    }
}
