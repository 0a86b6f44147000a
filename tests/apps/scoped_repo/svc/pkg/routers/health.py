from fastapi import APIRouter

router = APIRouter()


@router.get("/health")
def health():
    # OK: public liveness route, no data
    return {"status": "ok"}
