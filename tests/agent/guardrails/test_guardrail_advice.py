"""No medical advice: a model reply that gives it is replaced by the medical handoff reply and
staff take over; ordinary front-desk replies and the clinic's own record text pass unchanged.

The GPT path runs over the real webhook with Chat Completions faked at the HTTP layer (respx,
``chat.completion`` bodies as documented at
https://platform.openai.com/docs/api-reference/chat/object).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

import httpx
import pytest
import respx
from sqlalchemy import select

from agent.engine import run_turn
from agent.guardrails import OUTPUT_GUARDRAILS, GuardrailContext, MedicalAdviceCheck, Replace
from agent.guardrails.advice import advice_in, find_advice
from agent.guardrails.grounding import GroundingCheck
from agent.guardrails.triage import Label, triage
from agent.models.base import ChatMessage, ToolCall
from agent.models.scripted import ScriptedModel, call, say
from agent.store import AgentStep, AgentTurn
from app.context import AppContext
from app.web import create_app
from knowledge.clinic_file import ClinicFile
from messaging.models import Conversation, Message, StaffAlert
from tests.agent.test_agent_engine import _deps
from tests.agent.test_openai_model import completion, make_model
from tests.steps import JANE, post_text

NOW = dt.datetime(2026, 11, 23, 16, 0, tzinfo=dt.UTC)
URL = "https://api.openai.com/v1/chat/completions"
STAFF_PHONE = "+15125550199"

#: Replies a chat model might give that are medical advice, by kind.
ADVICE = [
    # dosing and medication instructions
    "Totally normal! Just take 400mg of ibuprofen and ice it.",
    "You can take Tylenol for the soreness, it's fine.",
    "Apply hydrocortisone cream twice a day until the rash settles.",
    "Use arnica on the bruise and it'll fade faster.",
    "Ice it for a few minutes at a time tonight.",
    "Stop your blood thinners a week before your filler.",
    "I'd recommend taking Advil every 6 hours for the ache.",
    "Try a cold compress on it tonight.",
    "Pop an antihistamine before bed.",
    "You don't need to stop your aspirin.",
    "Go ahead and put some aloe on it.",
    "Skip your retinol for a few days and use a gentle moisturizer.",
    "Avoid the sun this week and don't pick at the peeling skin.",
    "Keep the area clean and dry tonight.",
    "A warm compress should help with the lump.",
    # reassurance that judges the patient's body
    "That's normal after filler, no worries!",
    "It's completely safe for you to get Botox while you're on antibiotics.",
    "Honestly that's nothing to worry about.",
    "It will go away on its own.",
    "Some swelling is totally normal the first week.",
    "That heaviness is expected with forehead Botox.",
    "You'll be fine.",
    "The bruising should fade in a week or so.",
    "It's perfectly safe to work out after your peel.",
    # diagnoses
    "Sounds like an allergic reaction.",
    "You probably have an infection.",
    "That's a Tyndall effect.",
    "It's likely a bruise.",
    "Honestly it sounds like you're having a reaction to the filler.",
    "That's just swelling.",
    "Those bumps are probably nodules.",
    # treatments for a symptom
    "Massage the lump gently a few times a day.",
    "Come in for hyaluronidase and we can fix it.",
    "We can dissolve it for you this week.",
    "You'll need antibiotics for that.",
    "Have you tried icing it?",
    # the same, worded every which way
    "Tylenol is your best bet for the headache.",
    "Hydrocortisone 1% twice a day will calm the rash.",
    "If you're sore you can take Tylenol.",
    "Wait 24 hours before exercising.",
    "It's fine to fly after filler.",
    "I wouldn't worry about it.",
    "Lumps after filler are common and usually smooth out.",
    "Definitely keep icing and it'll be gone by the weekend.",
]

#: Ordinary front-desk replies, including the clinic's policies in its own words.
FRONT_DESK = [
    "Botox is $13/unit; most foreheads take 20-40 units.",
    "A Chemical Peel is from $150 (light peel) to $350 (VI Peel).",
    "Here are openings for Botox Thursday: 1) Thu Nov 26 at 4:00 PM CST. Reply 1 to hold it.",
    "You're booked: Botox with Dr. Maya Lee on Thu Nov 26 at 4:00 PM CST. See you then!",
    "I'm holding it for 15 min. To confirm, pay the $50.00 deposit with the link.",
    "We're open Mon-Fri 9 AM-6 PM and Sat 10 AM-2 PM.",
    "We're at 1100 S Lamar Blvd, Suite 210, on the second floor.",
    "Take the garage elevator to level 2 and follow the skybridge.",
    "Bring your garage ticket up to the front desk and we'll stamp it.",
    "A provider will answer your question shortly.",
    "That's a question for our providers, so I've passed it to the team.",
    "A provider can tell you whether that's normal; I've let them know.",
    "I can't say if that's an infection, but our nurse will text you soon.",
    "Per our policy we don't treat during pregnancy.",
    "We use numbing cream for filler.",
    "Botox usually lasts 3-4 months.",
    "Tox (Botox, Dysport, Xeomin) lasts about 3-4 months.",
    "We don't do injectables, PRP, chemical peels or laser while you're pregnant or "
    "breastfeeding, to be safe.",
    "You must be 18 or older for injectables and laser.",
    "No problem, I haven't cancelled anything. Your Botox is still on.",
    "No worries! What day works better for you?",
    "That's totally fine, I can move it to Friday.",
    "Don't worry about the deposit, it carries over.",
    "Sounds like a plan! Want me to check openings?",
    "You're all set! Your hold lasts 15 minutes.",
    "You can use your HSA card if your plan allows.",
    "Apply for Cherry financing on our website before your visit.",
    "Is the swelling getting worse? I've asked a provider to text you.",
    "Laser hair removal usually takes 6-8 sessions, 4-6 weeks apart.",
    "Our injectors use Juvederm and Restylane.",
    "Yes, we carry EltaMD sunscreen and members get 15% off.",
    "Please arrive 10 minutes early so the numbing cream can work.",
    "Good question! I don't want to guess, so I'll check with the team.",
    "This could be serious. Please call 911 or go to the nearest ER now.",
    "Our nurse will let you know if you can take ibuprofen before your visit.",
    "It's totally normal to have questions before your first visit!",
    "It's safe to book online or by text.",
    "Yes, it's normal to need a few laser sessions.",
    "Our laser is safe for all skin tones.",
    "No openings Sun or Sat, but Monday works.",
    "We're a medspa, so use our online booking.",
]

#: Sentences of the demo clinic's own records that read like advice when quoted.
QUOTED_RECORDS = [
    "Ice for 10 minutes at a time during the first day, with a cloth between the ice and "
    "your skin.",
    "Arnica gel or tablets may help bruises fade faster.",
    "Stay upright. No lying down or napping for 4 hours.",
    "Skip alcohol for 24 hours before.",
    "Wear SPF 30 or higher every day and avoid direct sun for 2 weeks after any laser or IPL.",
    "They can look lumpy or uneven in that window; that is swelling, not your final result.",
]

#: A ``search_knowledge`` result whose passage is in no clinic file.
PEEL_PASSAGE = json.dumps(
    {
        "passages": [
            {
                "title": "Aftercare for chemical peels",
                "text": "Tonight, wash with a gentle cleanser and apply a thin layer of "
                "Aquaphor.\nStay out of the sun for a week.",
                "score": 0.91,
            }
        ],
        "confident": True,
    }
)


def _context(clinic: ClinicFile, *turn: ChatMessage) -> GuardrailContext:
    """What a turn's guardrails see; the clinic as the app loads it (documents and FAQs are
    searched, not in the profile), the turn's messages as given."""
    stored = clinic.model_copy(update={"documents": [], "faqs": []})
    return GuardrailContext(clinic=stored, now=NOW, turn=turn)


def _searched(result: str) -> tuple[ChatMessage, ChatMessage]:
    """This turn's ``search_knowledge`` call and its result."""
    asked = ChatMessage(
        role="assistant",
        tool_calls=(ToolCall("c1", "search_knowledge", {"query": "aftercare"}),),
    )
    return asked, ChatMessage(
        role="tool", content=result, tool_call_id="c1", name="search_knowledge"
    )


def _everything_found(clinic: ClinicFile) -> str:
    """A ``search_knowledge`` result holding every document and FAQ of ``clinic``."""
    passages = [{"title": d.title, "text": d.content, "score": 1.0} for d in clinic.documents]
    passages += [
        {"title": f.question, "text": f"Q: {f.question}\nA: {f.answer}", "score": 1.0}
        for f in clinic.faqs
    ]
    return json.dumps({"passages": passages, "confident": True})


def test_the_lists_are_large_and_varied() -> None:
    assert len(ADVICE) >= 25 and len(FRONT_DESK) >= 25
    kinds = {a.kind for r in ADVICE if (a := advice_in(r))}
    assert kinds == {"medication", "reassurance", "diagnosis", "treatment"}


@pytest.mark.parametrize("reply", ADVICE)
def test_advice_is_replaced_by_the_medical_handoff(demo_clinic: ClinicFile, reply: str) -> None:
    verdict = MedicalAdviceCheck().check(reply, _context(demo_clinic))
    assert isinstance(verdict, Replace)
    assert "can't give medical advice" in verdict.reply and reply not in verdict.reply
    assert verdict.handoff_reason == "medical" and verdict.outcome == "guardrail"
    assert not verdict.pause  # the AI stays on, as after any medical question
    # Staff read what kind of advice was withheld, never the words themselves.
    assert verdict.handoff_summary and reply.lower() not in verdict.handoff_summary.lower()


@pytest.mark.parametrize("reply", FRONT_DESK)
def test_front_desk_replies_pass(demo_clinic: ClinicFile, reply: str) -> None:
    assert MedicalAdviceCheck().check(reply, _context(demo_clinic)) is None


@pytest.mark.parametrize("reply", QUOTED_RECORDS)
def test_the_clinics_own_words_pass_once_retrieved(demo_clinic: ClinicFile, reply: str) -> None:
    check = MedicalAdviceCheck()
    assert isinstance(check.check(reply, _context(demo_clinic)), Replace)
    found = _searched(_everything_found(demo_clinic))
    assert check.check(reply, _context(demo_clinic, *found)) is None
    # The clinic file's own documents count too (a clinic loaded with them).
    assert check.check(reply, GuardrailContext(clinic=demo_clinic, now=NOW)) is None


@pytest.mark.parametrize(
    ("reply", "kind"),
    [
        ("Just take 400mg of ibuprofen.", "medication"),
        ("Don't worry, the swelling goes down.", "reassurance"),
        ("It's likely a bruise.", "diagnosis"),
        ("Come in for hyaluronidase.", "treatment"),
    ],
)
def test_advice_is_named_by_its_kind(reply: str, kind: str) -> None:
    found = advice_in(reply)
    assert found is not None and found.kind == kind and found.sentence == reply


def test_a_passage_this_turn_retrieved_may_be_quoted(demo_clinic: ClinicFile) -> None:
    reply = "Tonight, wash with a gentle cleanser and apply a thin layer of Aquaphor."
    check = MedicalAdviceCheck()
    assert isinstance(check.check(reply, _context(demo_clinic)), Replace)
    assert check.check(reply, _context(demo_clinic, *_searched(PEEL_PASSAGE))) is None
    # One invented sentence beside the quote still trips, and so does advice added to it.
    mixed = f"{reply} Also take 400mg ibuprofen before bed."
    found = find_advice(mixed, [PEEL_PASSAGE])
    assert [a.sentence for a in found] == ["Also take 400mg ibuprofen before bed."]
    added = f"{reply[:-1]}, and take some Advil."
    assert [a.sentence for a in find_advice(added, [PEEL_PASSAGE])] == [added]


def test_the_patients_own_words_are_not_a_record(demo_clinic: ClinicFile) -> None:
    asked = ChatMessage(role="user", content="can i take 400mg of ibuprofen tonight?")
    reply = "Yes, you can take 400mg of ibuprofen tonight."
    verdict = MedicalAdviceCheck().check(reply, _context(demo_clinic, asked))
    assert isinstance(verdict, Replace)


def test_the_advice_check_runs_before_grounding() -> None:
    names = [type(g) for g in OUTPUT_GUARDRAILS]
    assert names.index(MedicalAdviceCheck) < names.index(GroundingCheck)


def test_a_turn_whose_reply_gives_advice_hands_off(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> None:
    ctx = make_ctx(database_url)
    deps = _deps(ctx, demo_clinic)
    model = ScriptedModel([say("That's normal, just ice it and take Advil.")], name="gpt-like")
    result = run_turn(deps, model, "anything i should do tonight after my peel?")
    [reply] = result.replies
    assert "can't give medical advice" in reply and "before we close" in reply
    assert not result.handed_off  # the AI stays on for booking, as after any medical question
    assert result.outcome == "guardrail" and result.steps == 1
    with ctx.db.session() as s:
        alerts = s.execute(select(StaffAlert.kind, StaffAlert.reason)).all()
        assert not s.get(Conversation, deps.conversation_id).ai_paused  # type: ignore[union-attr]
        steps = s.execute(select(AgentStep.role, AgentStep.content)).all()
        outcome = s.execute(select(AgentTurn.outcome)).scalar_one()
    assert [tuple(a) for a in alerts] == [("alert", "medical")] and outcome == "guardrail"
    assert [tuple(r) for r in steps][-1] == ("assistant", reply)
    assert not any("Advil" in (content or "") for _, content in steps)


def test_a_turn_that_already_handed_off_alerts_staff_once(
    make_ctx: Callable[..., AppContext], database_url: str, demo_clinic: ClinicFile
) -> None:
    ctx = make_ctx(database_url)
    model = ScriptedModel(
        [
            call("handoff_to_staff", reason="medical", summary="Patient asked about aftercare."),
            say("I've told the team. Meanwhile, keep it iced and take Tylenol."),
        ]
    )
    result = run_turn(_deps(ctx, demo_clinic), model, "what do i do after my peel tonight")
    [reply] = result.replies  # the advice never reaches the patient
    assert "can't give medical advice" in reply and "Tylenol" not in reply
    with ctx.db.session() as s:
        assert s.execute(select(StaffAlert.reason)).scalars().all() == ["medical"]


def _sent_to(ctx: AppContext, number: str) -> list[str]:
    with ctx.db.session() as s:
        return list(
            s.execute(select(Message.body).where(Message.to_number == number).order_by(Message.id))
            .scalars()
            .all()
        )


def test_gpt_advice_reaches_staff_not_the_patient(
    make_ctx: Callable[..., AppContext], database_url: str
) -> None:
    text = "anything i should do tonight after my peel?"
    assert triage(text).label == Label.NONE  # the input guardrail lets it through
    ctx = make_ctx(database_url, chat_model=make_model())
    client = create_app(context=ctx).test_client()
    advice = "Totally normal! Just take 400mg of ibuprofen and ice it."
    with respx.mock(assert_all_called=True) as api:
        route = api.post(URL).mock(
            return_value=httpx.Response(200, json=completion(content=advice))
        )
        post_text(client, ctx, text, "e1")
    assert route.call_count == 1
    [reply] = _sent_to(ctx, JANE)
    assert "can't give medical advice" in reply and "ibuprofen" not in reply
    staff_texts = _sent_to(ctx, STAFF_PHONE)
    assert len(staff_texts) == 1 and "ibuprofen" not in staff_texts[0]
    assert "after my peel" in staff_texts[0]  # staff get the patient's question
    with ctx.db.session() as s:
        alert = s.execute(select(StaffAlert)).scalar_one()
        steps = s.execute(select(AgentStep.role, AgentStep.content).order_by(AgentStep.id)).all()
        paused = s.execute(select(Conversation.ai_paused)).scalar_one()
    assert (alert.kind, alert.reason) == ("alert", "medical") and alert.conversation_id
    assert "advice" in alert.summary and "ibuprofen" not in alert.summary
    assert [tuple(r) for r in steps] == [("user", text), ("assistant", reply)]
    assert not paused


def test_gpt_front_desk_replies_pass_unchanged(
    make_ctx: Callable[..., AppContext], database_url: str
) -> None:
    ctx = make_ctx(database_url, chat_model=make_model())
    client = create_app(context=ctx).test_client()
    price = "A Chemical Peel is from $150 (light peel) to $350 (VI Peel). Want me to book one?"
    # The clinic's filler aftercare, quoted from the passage search_knowledge returned.
    aftercare = (
        "Per our aftercare: Ice for 10 minutes at a time during the first day, with a cloth "
        "between the ice and your skin."
    )
    replies = [
        completion(content=price),
        completion(
            tool_calls=[("call_a", "search_knowledge", '{"query": "ice after lip filler"}')]
        ),
        completion(content=aftercare),
    ]
    with respx.mock(assert_all_called=True) as api:
        route = api.post(URL).mock(side_effect=lambda r: httpx.Response(200, json=replies.pop(0)))
        post_text(client, ctx, "how much is a chemical peel?", "e1")
        post_text(client, ctx, "what should i do after lip filler tonight?", "e2")
    assert route.call_count == 3 and replies == []
    searched = json.loads(route.calls[2].request.content)["messages"][-1]
    assert searched["role"] == "tool" and "Ice for 10 minutes" in searched["content"]
    assert _sent_to(ctx, JANE) == [price, aftercare]
    with ctx.db.session() as s:
        assert s.execute(select(StaffAlert)).first() is None
        assert not s.execute(select(Conversation.ai_paused)).scalar_one()
